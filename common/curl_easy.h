// libcurl, set up once: the global initialisation, owning handles, and the options every transfer
// of Orcastra uses (no signals, connect and total timeouts, a bounded in-memory body). The Docker
// client (common/docker_client.h) and the modcache downloader (agent/modcache/downloader.h) build
// their requests on these.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace orcastra::curl {

// curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process; thread-safe.
void InitOnce();

struct HandleFree {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using Handle = std::unique_ptr<CURL, HandleFree>;
// A new easy handle (after InitOnce()); null only when libcurl is out of memory.
Handle NewHandle();

struct HeadersFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Headers = std::unique_ptr<curl_slist, HeadersFree>;
// Appends one "Name: value" line; a failed allocation leaves the list as it was.
void AppendHeader(Headers& headers, const std::string& line);

// The options of every transfer: no signals (threads), `connect` to connect, and at most `total`
// for the whole transfer when given (an event stream has no total).
void SetCommonOptions(CURL* handle, std::chrono::milliseconds connect,
                      std::optional<std::chrono::milliseconds> total);

// A response body collected in memory up to `max_bytes`; the transfer is aborted
// (CURLE_WRITE_ERROR) and `overflow` set when the peer sends more.
struct BoundedBody {
  std::string data;
  std::size_t max_bytes = 0;
  bool overflow = false;
};
// Installs `body` as the write target of `handle`.
void CollectBody(CURL* handle, BoundedBody* body);

}  // namespace orcastra::curl
