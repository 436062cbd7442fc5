#include "agent/modcache/downloader.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "common/curl_easy.h"
#include "common/files.h"
#include "common/service.h"

namespace orcastra::agent {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string ToHex(const unsigned char* data, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

// Incremental SHA-256 over OpenSSL's EVP interface.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void Update(const void* data, std::size_t size) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data, size) == 1;
  }
  // The hex digest; "" when OpenSSL failed.
  std::string Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &size) != 1) return "";
    return ToHex(digest, size);
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
  bool ok_ = false;
};

// A temporary file in the destination directory, removed on destruction unless committed.
class TempFile {
 public:
  TempFile(const std::string& dir, const std::string& base) {
    std::string pattern = dir + "/." + base + std::string(kModTempMarker) + "XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
    if (fd < 0) {
      error_ = Errno("cannot create a temporary file in " + dir);
      return;
    }
    fd_ = UniqueFd(fd);
    path_ = buffer.data();
  }
  ~TempFile() {
    (void)fd_.Close();
    if (!path_.empty() && !committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool ok() const { return fd_.ok(); }
  const std::string& error() const { return error_; }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // fsync, mode 0644, close, rename to `target`. The temporary file is gone afterwards either way.
  Status CommitTo(const std::string& target) {
    if (::fchmod(fd(), 0644) != 0) return Status::IoError(Errno("chmod " + path_));
    if (::fsync(fd()) != 0) return Status::IoError(Errno("fsync " + path_));
    if (fd_.Close() != 0) return Status::IoError(Errno("close " + path_));
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      return Status::IoError(Errno("rename to " + target));
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  UniqueFd fd_;
  std::string path_;
  std::string error_;
  bool committed_ = false;
};

// Shared with curl's callbacks during one transfer.
struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  std::int64_t max_bytes = 0;
  std::int64_t bytes = 0;
  bool too_large = false;
  bool write_failed = false;
  std::string write_error;
  Sha256 sha;
  std::string etag;
  std::string last_modified;
  const std::atomic<bool>* cancel = nullptr;
};

std::string Trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  std::size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

bool HeaderIs(std::string_view line, std::string_view name, std::string* value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  if (strncasecmp(line.data(), name.data(), name.size()) != 0) return false;
  *value = Trim(line.substr(name.size() + 1));
  return true;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a redirect, or a 100 Continue): its validators only.
    t->etag.clear();
    t->last_modified.clear();
  } else {
    std::string value;
    if (HeaderIs(line, "ETag", &value)) t->etag = value;
    if (HeaderIs(line, "Last-Modified", &value)) t->last_modified = value;
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return n;  // an error page: not stored, not counted
  if (t->bytes + static_cast<std::int64_t>(n) > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  std::size_t written = 0;
  while (written < n) {
    ssize_t rc = ::write(t->fd, data + written, n - written);
    if (rc < 0) {
      if (errno == EINTR) continue;
      t->write_failed = true;
      t->write_error = Errno("write");
      return 0;
    }
    written += static_cast<std::size_t>(rc);
  }
  t->sha.Update(data, n);
  t->bytes += static_cast<std::int64_t>(n);
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  Heartbeat();
  return t->cancel != nullptr && t->cancel->load() ? 1 : 0;  // non-zero aborts
}

ModFetchResult Failed(std::string error, int http_status = 0) {
  ModFetchResult result;
  result.status = ModFetchStatus::kFailed;
  result.error = std::move(error);
  result.http_status = http_status;
  return result;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  Sha256 sha;
  sha.Update(data.data(), data.size());
  return sha.Finish();
}

ModFetchResult FetchMod(const ModFetchRequest& request, const std::string& dest_dir,
                        const DownloadLimits& limits, const std::atomic<bool>* cancel) {
  const std::string target = dest_dir + "/" + request.file;
  TempFile temp(dest_dir, request.file);
  if (!temp.ok()) return Failed(temp.error());

  curl::Handle curl = curl::NewHandle();
  if (!curl) return Failed("curl_easy_init failed");
  Transfer t;
  t.curl = curl.get();
  t.fd = temp.fd();
  t.max_bytes = limits.max_bytes;
  t.cancel = cancel;
  char curl_error[CURL_ERROR_SIZE] = {};
  curl::Headers headers;
  if (!request.etag.empty()) curl::AppendHeader(headers, "If-None-Match: " + request.etag);
  if (!request.last_modified.empty()) {
    curl::AppendHeader(headers, "If-Modified-Since: " + request.last_modified);
  }

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  // Only http and https, for the first request and for every redirect (libcurl >= 7.85).
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, limits.max_redirects);
  curl::SetCommonOptions(c, limits.connect_timeout, limits.total_timeout);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "orcastra-modcache");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(limits.stall_timeout.count()));
  // Refused before the body when the server announces a larger Content-Length.
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);

  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  const int http_status = static_cast<int>(status);
  const std::string size_error =
      "larger than the limit of " + std::to_string(limits.max_bytes) + " bytes";
  if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) return Failed(size_error, http_status);
  if (t.write_failed) return Failed(t.write_error, http_status);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Failed("cancelled", http_status);
  if (rc != CURLE_OK) {
    std::string detail = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc);
    return Failed("download failed: " + detail, http_status);
  }
  if (status == 304) {
    if (request.etag.empty() && request.last_modified.empty()) {
      return Failed("the server answered 304 Not Modified to an unconditional request", 304);
    }
    ModFetchResult result;
    result.status = ModFetchStatus::kNotModified;
    result.http_status = 304;
    return result;
  }
  if (status != 200) return Failed("HTTP status " + std::to_string(status), http_status);

  ModFetchResult result;
  result.http_status = 200;
  result.etag = t.etag;
  result.last_modified = t.last_modified;
  result.bytes = t.bytes;
  result.sha256 = t.sha.Finish();
  if (result.sha256.empty()) return Failed("sha256 computation failed", http_status);
  if (request.expected_sha256 && *request.expected_sha256 != result.sha256) {
    result.status = ModFetchStatus::kHashMismatch;
    result.error =
        "sha256 mismatch: expected " + *request.expected_sha256 + ", got " + result.sha256;
    return result;  // the temporary file is removed; the last good file stays
  }
  struct stat st {};
  if (!request.current_sha256.empty() && request.current_sha256 == result.sha256 &&
      ::stat(target.c_str(), &st) == 0) {
    result.status = ModFetchStatus::kSameContent;
    return result;
  }
  if (Status committed = temp.CommitTo(target); !committed.ok()) {
    return Failed(committed.message(), http_status);
  }
  // The rename is durable only once the directory is synced; the file itself already is.
  if (Status synced = FsyncDirectory(dest_dir); !synced.ok()) {
    return Failed(synced.message() + " (the new file is in place)", http_status);
  }
  result.status = ModFetchStatus::kDownloaded;
  return result;
}

int RemoveStaleModTemps(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return 0;
  std::vector<std::string> stale;
  while (dirent* entry = ::readdir(d.get())) {
    std::string_view name = entry->d_name;
    if (name.size() > 1 && name.front() == '.' && name.find(kModTempMarker) != std::string::npos) {
      stale.emplace_back(name);
    }
  }
  int removed = 0;
  for (const auto& name : stale) {
    if (::unlink((dir + "/" + name).c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace orcastra::agent
