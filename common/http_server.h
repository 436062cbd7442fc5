// A small HTTP/1.1 server for /metrics, /healthz, /readyz and the leader's web view: GET and HEAD
// only, no request bodies, every resource bounded.
//
// Why not a library: Debian 12's cpp-httplib (0.11.4) keeps every header line of a request in
// memory with no limit on their number; 90 MiB of headers on one connection grew a test server by
// 176 MiB (measured), and nothing outside the library can bound it. This server reads at most
// kMaxHeadBytes of request head per request, within a deadline, and refuses the rest.
//
// How it works: one thread (the Service's) accepts connections and reads request heads from all
// of them with poll(); only a complete head goes to a worker. So an idle or slow connection (a
// browser's spare keep-alive sockets, a client that sends one byte a second) costs a file
// descriptor and a buffer, never a worker.
//
// Bounds: at most `max_connections` open connections (more are answered 503 and closed); a
// request head must arrive whole within `read_timeout` of its first byte, and a connection is
// closed after `keep_alive_idle` without one (`read_timeout` before its first request); `workers`
// threads answer requests, at most `max_pending` complete requests wait for them (more are
// answered 503 and closed); a response must be written within `write_timeout`; a connection
// serves at most `max_requests_per_connection` requests. A request with a body (Content-Length >
// 0 or Transfer-Encoding) is answered 413 and the connection closed.
//
// Threads: the Server is a Service whose thread accepts and reads (and beats the heartbeat); its
// workers are threads of its own, started and joined by Run(). The handler runs on a worker
// thread, so it must be thread-safe and must not block for long (never an Engine API call: read
// what other threads published). An exception from the handler is answered 500.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/service.h"
#include "common/status.h"

namespace orcastra::http {

inline constexpr std::size_t kMaxHeadBytes = 8192;
inline constexpr std::size_t kMaxHeaders = 64;

struct Request {
  std::string method;                                        // "GET", "HEAD", ...
  std::string target;                                        // as sent: "/api/events?after=3"
  std::string path;                                          // the target before '?'
  std::string query;                                         // after '?', "" when none
  int minor_version = 1;                                     // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case, in order
  std::uint64_t content_length = 0;
  bool chunked = false;    // a Transfer-Encoding header was sent
  bool keep_alive = true;  // HTTP/1.1 without "Connection: close", or 1.0 with "keep-alive"

  // The value of the first header named `name` (lower case), or "" when there is none.
  std::string_view Header(std::string_view name) const;
  // The value of the query parameter `name` (not percent-decoded), or "".
  std::string_view QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Parses a request head: the request line and the header lines, each ending in CRLF (a bare LF is
// accepted), up to and without the empty line. ParseError naming what is wrong: a request line that
// is not METHOD SP TARGET SP HTTP/1.x, a target that does not start with '/', a header line without
// ':', more than kMaxHeaders headers, a head over kMaxHeadBytes, a Content-Length that is not a
// number or two that differ, control characters. Pure; never throws.
Result<Request> ParseRequestHead(std::string_view head);

// The bytes of `response`: status line, Content-Type, Content-Length, Connection, the extra
// headers, and the body unless `head_only`. Pure.
std::string SerializeResponse(const Response& response, bool head_only, bool keep_alive);

// "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses) as host and port; "off" is not an address
// (callers check it first). InvalidArgument naming `what`.
struct ListenAddress {
  std::string host;  // "0.0.0.0", "127.0.0.1", "::"
  std::uint16_t port = 0;
  std::string ToString() const;
};
Result<ListenAddress> ParseListenAddress(std::string_view text, std::string_view what);

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string name = "http";  // the Service's name (logs, /healthz)
  ListenAddress address{"127.0.0.1", 0};
  std::size_t workers = 2;
  std::size_t max_pending = 16;
  std::size_t max_connections = 64;
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive_idle{5000};
  std::size_t max_requests_per_connection = 100;
  // SO_REUSEPORT: another process that sets it too may listen on the same address, and the kernel
  // spreads new connections over both. For the agent, whose stack update starts the new task
  // before stopping the old one on the same node (deploy/stack.yml): both serve while they
  // overlap. Without it an address in use is an error.
  bool share_port = false;
};

class Server final : public Service {
 public:
  // Binds and listens (port 0 picks a free one); Unavailable naming the address when it cannot.
  static Result<std::shared_ptr<Server>> Listen(ServerOptions options, Handler handler);
  ~Server() override;

  // The port bound.
  std::uint16_t port() const { return port_; }

  struct Counters {
    std::atomic<std::uint64_t> requests{0};  // answered, any status
    std::atomic<std::uint64_t> busy{0};      // refused with 503: too many connections or requests
    std::atomic<std::uint64_t> bad_requests{0};  // heads refused (400, 413, 431, 405)
    std::atomic<std::uint64_t> timeouts{0};      // connections closed in the middle of a head
  };
  const Counters& counters() const { return counters_; }

 protected:
  void Run(std::stop_token stop) override;

 private:
  Server(ServerOptions options, Handler handler, int fd, std::uint16_t port);
  struct Connection;
  class Loop;
  // Answers the complete request at the start of `connection`'s buffer (a worker thread); false
  // when the connection must be closed.
  bool Answer(Connection& connection, const std::stop_token& stop);

  const ServerOptions options_;
  const Handler handler_;
  int listen_fd_;
  std::uint16_t port_;
  Counters counters_;
};

}  // namespace orcastra::http
