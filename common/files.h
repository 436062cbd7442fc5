// File-system building blocks shared by every module that writes files: a descriptor that closes
// itself, complete writes, durable atomic replacement, and bounded reads.
//
// Crash safety: WriteFileAtomic() writes a temporary file in the same directory
// (TempPathFor(path)), fsyncs it, renames it over `path` and fsyncs the directory, so a reader
// only ever sees the old or the new content, never part of it. None of these functions throws;
// errors are IoError (ReadFileBounded: NotFound for a missing file) and name the path and errno's
// text. Thread-compatible: they touch only the paths and descriptors they are given.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace orcastra {

// Owns a file descriptor and closes it on destruction. Move-only.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { (void)Close(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int Release();
  // Closes now; returns the errno of a failed close, 0 on success (also when already closed).
  int Close();

 private:
  int fd_;
};

// IoError "WHAT 'PATH': <strerror(error)>".
Status IoFailure(std::string_view what, std::string_view path, int error);

// The directory part of `path` ("." when there is none, "/" for a file in the root).
std::string DirName(std::string_view path);
// The last component of `path`.
std::string BaseName(std::string_view path);

// Writes all of `data` to `fd` (retrying on EINTR and short writes); `path` names it in errors.
Status WriteAll(int fd, std::string_view data, std::string_view path);

// fsync of a directory, so that renames and creations in it are durable.
Status FsyncDirectory(const std::string& dir);

// The temporary name used while writing `path`: ".NAME.orcastra-tmp" in the same directory (a
// dot file, so the usual `*.log` patterns never match it). A stale one is replaced by the next
// write.
std::string TempPathFor(std::string_view path);

// Removes a file on scope exit unless Release()d (a temporary that must not outlive a failure).
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  ~RemoveOnExit();
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

// Creates `path` afresh for writing (O_EXCL, never following a symbolic link), first removing a
// stale file of that name (an earlier crash's temporary).
Result<UniqueFd> CreateFresh(const std::string& path, mode_t mode);

// Writes `content` to `path` atomically and durably (temporary, fsync, rename, fsync of the
// directory). The new file gets `mode` (before the umask).
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode = 0644);

// The whole content of the regular file `path`, refused (IoError naming the size) when it is
// larger than `max_bytes`: a file someone else controls never makes the process allocate without
// bound. NotFound when it does not exist.
Result<std::string> ReadFileBounded(const std::string& path, std::size_t max_bytes);

}  // namespace orcastra
