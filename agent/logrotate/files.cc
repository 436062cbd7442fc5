#include "agent/logrotate/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/files.h"
#include "common/service.h"
#include "common/strings.h"

namespace orcastra::agent {
namespace {

static_assert(sizeof(uid_t) == 4 && sizeof(gid_t) == 4, "kMaxNumericId assumes 32-bit ids");

constexpr std::size_t kBufferSize = 64 * 1024;

// Reads up to `size` bytes; 0 at end of file, -1 with errno set on failure.
ssize_t ReadSome(int fd, char* data, std::size_t size) {
  while (true) {
    ssize_t n = ::read(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

// Gives `fd` the source's permission bits and, when allowed, its owner (as logrotate does).
void CopyOwnership(int fd, const struct stat& source) {
  (void)::fchmod(fd, source.st_mode & 07777);
  if (::fchown(fd, source.st_uid, source.st_gid) != 0) {
    // Not root, or a file system without owners: the copy keeps ours.
  }
}

// A numeric id (0..kMaxNumericId), or the id of a user or group name; nullopt when it does not
// resolve.
std::optional<uid_t> ResolveUser(const std::string& name) {
  if (AllDigits(name)) {
    // Range-checked like the parser does (a number that does not fit never wraps to root).
    auto id = ParseNumericId(name);
    if (!id) return std::nullopt;
    return static_cast<uid_t>(*id);
  }
  struct passwd entry {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->pw_uid;
}

std::optional<gid_t> ResolveGroup(const std::string& name) {
  if (AllDigits(name)) {
    auto id = ParseNumericId(name);
    if (!id) return std::nullopt;
    return static_cast<gid_t>(*id);
  }
  struct group entry {};
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

}  // namespace

Status GzipFile(const std::string& source, const std::string& target) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in.ok()) return IoFailure("cannot open", source, errno);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return IoFailure("cannot stat", source, errno);
  if (!S_ISREG(st.st_mode)) return Status::IoError("'" + source + "' is not a regular file");

  const std::string temp = TempPathFor(target);
  auto opened = CreateFresh(temp, 0600);
  if (!opened.ok()) return opened.status();
  UniqueFd out = std::move(opened).value();
  RemoveOnExit guard(temp);

  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib deflateInit2 failed for '" + source + "'");
  }
  std::vector<char> input(kBufferSize);
  std::vector<unsigned char> output(kBufferSize);
  Status status = Status::Ok();
  bool finished = false;
  while (status.ok() && !finished) {
    Heartbeat();  // a large file takes a while: the rotator is working, not stalled
    ssize_t n = ReadSome(in.get(), input.data(), input.size());
    if (n < 0) {
      status = IoFailure("cannot read", source, errno);
      break;
    }
    const int flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = reinterpret_cast<Bytef*>(input.data());
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = output.data();
      zs.avail_out = static_cast<uInt>(output.size());
      int rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) {
        status = Status::Internal("zlib deflate failed for '" + source + "'");
        break;
      }
      std::size_t have = output.size() - zs.avail_out;
      status = WriteAll(out.get(),
                        std::string_view(reinterpret_cast<const char*>(output.data()), have), temp);
      if (rc == Z_STREAM_END) finished = true;
    } while (status.ok() && zs.avail_out == 0);
  }
  deflateEnd(&zs);
  ORC_RETURN_IF_ERROR(status);
  CopyOwnership(out.get(), st);
  if (::fsync(out.get()) != 0) return IoFailure("cannot fsync", temp, errno);
  if (int error = out.Close()) return IoFailure("cannot close", temp, error);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    return IoFailure("cannot rename temporary to", target, errno);
  }
  guard.Release();
  ORC_RETURN_IF_ERROR(FsyncDirectory(DirName(target)));
  if (::unlink(source.c_str()) != 0 && errno != ENOENT) {
    return IoFailure("compressed, but cannot remove", source, errno);
  }
  return Status::Ok();
}

Result<std::string> ReadGzipFile(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return IoFailure("cannot open", path, errno);
  std::string content;
  std::vector<char> buffer(kBufferSize);
  while (true) {
    int n = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (n < 0) {
      int code = 0;
      std::string message = gzerror(file, &code);
      gzclose(file);
      return Status::IoError("cannot decompress '" + path + "': " + message);
    }
    if (n == 0) break;
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (gzclose(file) != Z_OK) return Status::IoError("cannot decompress '" + path + "'");
  return content;
}

Result<CopyTruncateStats> CopyTruncateFile(const std::string& source, const std::string& target) {
  // O_RDWR: the same descriptor reads the content and truncates, so a rename of `source` meanwhile
  // cannot make us truncate another file.
  UniqueFd in(::open(source.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!in.ok()) return IoFailure("cannot open", source, errno);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return IoFailure("cannot stat", source, errno);
  if (!S_ISREG(st.st_mode)) return Status::IoError("'" + source + "' is not a regular file");

  const std::string temp = TempPathFor(target);
  auto opened = CreateFresh(temp, 0600);
  if (!opened.ok()) return opened.status();
  UniqueFd out = std::move(opened).value();
  RemoveOnExit guard(temp);
  CopyOwnership(out.get(), st);

  CopyTruncateStats stats;
  std::vector<char> buffer(kBufferSize);
  auto copy_to_eof = [&]() -> Status {
    while (true) {
      ssize_t n = ReadSome(in.get(), buffer.data(), buffer.size());
      if (n < 0) return IoFailure("cannot read", source, errno);
      if (n == 0) return Status::Ok();
      ORC_RETURN_IF_ERROR(
          WriteAll(out.get(), std::string_view(buffer.data(), static_cast<std::size_t>(n)), temp));
      stats.bytes_copied += static_cast<std::uint64_t>(n);
    }
  };
  // The bulk, made durable while the application keeps appending.
  ORC_RETURN_IF_ERROR(copy_to_eof());
  if (::fdatasync(out.get()) != 0) return IoFailure("cannot fsync", temp, errno);
  // The tail appended meanwhile (usually a few lines), then the truncation straight after the
  // read that found the end: this gap is the only place where lines can be lost.
  ORC_RETURN_IF_ERROR(copy_to_eof());
  const auto eof_at = std::chrono::steady_clock::now();
  if (::ftruncate(in.get(), 0) != 0) return IoFailure("cannot truncate", source, errno);
  stats.window = std::chrono::steady_clock::now() - eof_at;

  if (::fsync(out.get()) != 0)
    return IoFailure("copied and truncated, but cannot fsync", temp, errno);
  if (int error = out.Close())
    return IoFailure("copied and truncated, but cannot close", temp, error);
  if (Status renamed = RenameNoReplace(temp, target); !renamed.ok()) {
    guard.Release();  // the copy is all that is left of the data: keep it for the operator
    return renamed.WithContext("copied and truncated, copy kept at '" + temp + "'");
  }
  guard.Release();
  ORC_RETURN_IF_ERROR(FsyncDirectory(DirName(target)));
  return stats;
}

Status TruncateFile(const std::string& path) {
  if (::truncate(path.c_str(), 0) != 0) return IoFailure("cannot truncate", path, errno);
  return Status::Ok();
}

std::optional<FileAttributes> ReadAttributes(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return FileAttributes{static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
}

Status CreateLogFile(const std::string& path, const CreateSpec& spec,
                     const std::optional<FileAttributes>& previous) {
  mode_t mode = spec.mode ? static_cast<mode_t>(*spec.mode) : (previous ? previous->mode : 0644);
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  if (!spec.owner.empty()) {
    uid = ResolveUser(spec.owner);
    if (!uid) return Status::InvalidArgument("create: unknown user '" + spec.owner + "'");
  } else if (previous) {
    uid = previous->uid;
  }
  if (!spec.group.empty()) {
    gid = ResolveGroup(spec.group);
    if (!gid) return Status::InvalidArgument("create: unknown group '" + spec.group + "'");
  } else if (previous) {
    gid = previous->gid;
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.ok()) {
    if (errno == EEXIST) return Status::Ok();  // the application reopened it already
    return IoFailure("cannot create", path, errno);
  }
  // Owner first: fchown clears set-id bits, and the mode must not depend on the umask.
  if ((uid || gid) && ::fchown(fd.get(), uid ? *uid : static_cast<uid_t>(-1),
                               gid ? *gid : static_cast<gid_t>(-1)) != 0) {
    return IoFailure("cannot set the owner of", path, errno);
  }
  if (::fchmod(fd.get(), mode) != 0) return IoFailure("cannot set the mode of", path, errno);
  if (int error = fd.Close()) return IoFailure("cannot close", path, error);
  return Status::Ok();
}

std::vector<std::string> ListSiblings(const std::string& path) {
  std::vector<std::string> out;
  const std::string dir = DirName(path);
  const std::string prefix = BaseName(path) + ".";
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return out;
  const std::string dir_prefix = dir == "/" ? "/" : dir + "/";
  while (const dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
      out.push_back(dir_prefix + std::string(name));
    }
  }
  ::closedir(handle);
  std::sort(out.begin(), out.end());
  return out;
}

Status RenameNoReplace(const std::string& source, const std::string& target) {
  if (::renameat2(AT_FDCWD, source.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  int error = errno;
  if (error != EINVAL && error != ENOSYS) {
    return Status::IoError("cannot rename '" + source + "' to '" + target +
                           "': " + std::strerror(error));
  }
  // No RENAME_NOREPLACE on this file system: link fails if the target exists.
  if (::link(source.c_str(), target.c_str()) != 0) {
    return Status::IoError("cannot rename '" + source + "' to '" + target +
                           "': " + std::strerror(errno));
  }
  if (::unlink(source.c_str()) != 0) return IoFailure("renamed, but cannot remove", source, errno);
  return Status::Ok();
}

}  // namespace orcastra::agent
