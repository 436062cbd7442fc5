#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace orcastra {

RemoveOnExit::~RemoveOnExit() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Result<UniqueFd> CreateFresh(const std::string& path, mode_t mode) {
  ::unlink(path.c_str());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.ok()) return IoFailure("cannot create", path, errno);
  return fd;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    (void)Close();
    fd_ = other.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

int UniqueFd::Close() {
  if (fd_ < 0) return 0;
  int rc = ::close(fd_);
  fd_ = -1;
  return rc == 0 ? 0 : errno;
}

Status IoFailure(std::string_view what, std::string_view path, int error) {
  std::string message(what);
  message += " '";
  message += path;
  message += "': ";
  message += std::strerror(error);
  return Status::IoError(std::move(message));
}

std::string DirName(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string BaseName(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

Status WriteAll(int fd, std::string_view data, std::string_view path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoFailure("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status FsyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return IoFailure("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return IoFailure("cannot fsync directory", dir, errno);
  return Status::Ok();
}

std::string TempPathFor(std::string_view path) {
  std::string dir = DirName(path);
  std::string prefix = dir == "/" ? "/" : dir + "/";
  return prefix + "." + BaseName(path) + ".orcastra-tmp";
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode) {
  const std::string temp = TempPathFor(path);
  auto created = CreateFresh(temp, mode);
  if (!created.ok()) return created.status();
  UniqueFd fd = std::move(created).value();
  RemoveOnExit guard(temp);
  ORC_RETURN_IF_ERROR(WriteAll(fd.get(), content, temp));
  if (::fsync(fd.get()) != 0) return IoFailure("cannot fsync", temp, errno);
  if (int error = fd.Close()) return IoFailure("cannot close", temp, error);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return IoFailure("cannot rename temporary to", path, errno);
  }
  guard.Release();
  return FsyncDirectory(DirName(path));
}

Result<std::string> ReadFileBounded(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) {
    Status failed = IoFailure("cannot open", path, errno);
    return errno == ENOENT ? Status::NotFound(failed.message()) : failed;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IoFailure("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return Status::IoError("'" + path + "' is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return Status::IoError("'" + path + "' is " + std::to_string(st.st_size) +
                           " bytes, more than the " + std::to_string(max_bytes) +
                           " bytes this file may have");
  }
  std::string content;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoFailure("cannot read", path, errno);
    }
    if (n == 0) break;
    // The file may grow while it is read: the bound holds for what is read, not only for stat.
    if (content.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Status::IoError("'" + path + "' grew beyond the " + std::to_string(max_bytes) +
                             " bytes this file may have while it was read");
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

}  // namespace orcastra
