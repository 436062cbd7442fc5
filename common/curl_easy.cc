#include "common/curl_easy.h"

#include <mutex>

#include "common/service.h"

namespace orcastra::curl {
namespace {

std::size_t AppendBounded(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<BoundedBody*>(user);
  const std::size_t n = size * count;
  if (body->data.size() + n > body->max_bytes) {
    body->overflow = true;
    return 0;  // aborts the transfer
  }
  body->data.append(data, n);
  return n;
}

}  // namespace

namespace {

int BeatOnProgress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  Heartbeat();
  return 0;
}

}  // namespace

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Handle NewHandle() {
  InitOnce();
  return Handle(curl_easy_init());
}

void AppendHeader(Headers& headers, const std::string& line) {
  curl_slist* added = curl_slist_append(headers.get(), line.c_str());
  if (added != nullptr) {
    (void)headers.release();  // curl_slist_append returned the same list, now longer
    headers.reset(added);
  }
}

void SetCommonOptions(CURL* handle, std::chrono::milliseconds connect,
                      std::optional<std::chrono::milliseconds> total) {
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  // A transfer that takes its time is not a stalled loop: libcurl calls this about once a second.
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, BeatOnProgress);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
  if (total) curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(total->count()));
}

void CollectBody(CURL* handle, BoundedBody* body) {
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, AppendBounded);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, body);
}

}  // namespace orcastra::curl
