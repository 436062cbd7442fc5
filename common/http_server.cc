#include "common/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.h"
#include "common/strings.h"

namespace orcastra::http {
namespace {

constexpr std::chrono::milliseconds kPollSlice{250};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Splits `text` at commas into trimmed, lower-case tokens.
std::vector<std::string> CommaTokens(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) out.push_back(LowerCase(item));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

Response Plain(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void CloseFd(int fd) {
  if (fd >= 0) ::close(fd);
}

// Writes all of `data` to the non-blocking `fd` before `deadline`; false on error or timeout.
bool WriteAllBefore(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline,
                    const std::stop_token& stop) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero() || stop.stop_requested()) return false;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min(left, kPollSlice).count()));
  }
  return true;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

std::string_view Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

Result<Request> ParseRequestHead(std::string_view head) {
  if (head.size() > kMaxHeadBytes) {
    return Status::ParseError("request head of " + std::to_string(head.size()) +
                              " bytes; at most " + std::to_string(kMaxHeadBytes));
  }
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    std::size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (lf == std::string_view::npos) break;
    head.remove_prefix(lf + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return Status::ParseError("empty request");
  Request request;
  // METHOD SP TARGET SP HTTP/1.x
  std::string_view line = lines[0];
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Status::ParseError("request line is not 'METHOD TARGET HTTP/1.x'");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) {
    return Status::ParseError("request method is not a token");
  }
  if (target.empty() || target[0] != '/' ||
      std::any_of(target.begin(), target.end(), [](char c) { return IsControl(c); })) {
    return Status::ParseError("request target must be a path starting with '/'");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Status::ParseError("unsupported protocol version (HTTP/1.0 and HTTP/1.1 only)");
  }
  request.method = std::string(method);
  request.target = std::string(target);
  std::size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  request.minor_version = version.back() - '0';
  request.keep_alive = request.minor_version == 1;
  std::optional<std::uint64_t> content_length;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view header = lines[i];
    if (header.empty()) return Status::ParseError("empty line inside the header block");
    if (header[0] == ' ' || header[0] == '\t') {
      return Status::ParseError("folded header lines are not accepted");
    }
    std::size_t colon = header.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::ParseError("header line " + std::to_string(i) + " has no name and ':'");
    }
    std::string_view name = header.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return Status::ParseError("header name on line " + std::to_string(i) + " is not a token");
    }
    std::string_view value = Trim(header.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return IsControl(c) && c != '\t'; })) {
      return Status::ParseError("control character in header on line " + std::to_string(i));
    }
    if (request.headers.size() >= kMaxHeaders) {
      return Status::ParseError("more than " + std::to_string(kMaxHeaders) + " headers");
    }
    std::string key = LowerCase(name);
    if (key == "content-length") {
      auto parsed = ParseDecimal(value);
      if (!parsed) return Status::ParseError("Content-Length is not a number");
      if (content_length && *content_length != *parsed) {
        return Status::ParseError("two different Content-Length headers");
      }
      content_length = *parsed;
    } else if (key == "transfer-encoding") {
      request.chunked = true;
    } else if (key == "connection") {
      for (const std::string& token : CommaTokens(value)) {
        if (token == "close") request.keep_alive = false;
        if (token == "keep-alive" && request.minor_version == 0) request.keep_alive = true;
      }
    }
    request.headers.emplace_back(std::move(key), std::string(value));
  }
  request.content_length = content_length.value_or(0);
  return request;
}

std::string SerializeResponse(const Response& response, bool head_only, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out += ReasonPhrase(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\nContent-Length: " + std::to_string(response.body.size());
  out += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
  for (const auto& [name, value] : response.headers) {
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  out += "\r\n\r\n";
  if (!head_only) out += response.body;
  return out;
}

std::string ListenAddress::ToString() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(what) + " '" + std::string(text) + "': " + why +
                                   " (HOST:PORT, [IPV6]:PORT or :PORT)");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  auto port = ParseDecimal(port_text);
  if (!port || *port > 65535) return bad("the port is not a number 0..65535");
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("unbalanced '['");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address needs brackets");
  }
  ListenAddress address{host.empty() ? std::string("0.0.0.0") : std::string(host),
                        static_cast<std::uint16_t>(*port)};
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, address.host.c_str(), &v4) != 1 &&
      inet_pton(AF_INET6, address.host.c_str(), &v6) != 1) {
    return bad("the host is not an IP address");
  }
  return address;
}

// One open connection: its socket, what was read and not yet answered, and its deadline.
struct Server::Connection {
  int fd = -1;
  std::string buffer;
  std::chrono::steady_clock::time_point deadline;
  bool started = false;  // bytes of the next request have arrived
  std::size_t served = 0;
  ~Connection() { CloseFd(fd); }
};

namespace {

// Where the head ends in `buffer` and how long its separator is; npos when it is not complete.
std::pair<std::size_t, std::size_t> HeadEnd(const std::string& buffer) {
  std::size_t crlf = buffer.find("\r\n\r\n");
  std::size_t lf = buffer.find("\n\n");
  if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) return {crlf, 4};
  if (lf != std::string::npos) return {lf, 2};
  return {std::string::npos, 0};
}

// A short answer written without waiting (the client learns why), for connections about to close.
void Refuse(int fd, int status, const std::string& why) {
  const std::string text = SerializeResponse(Plain(status, why + "\n"), false, false);
  (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

// The accepting and reading loop, the workers and the queues between them (one per Run()).
class Server::Loop {
 public:
  Loop(Server& server, std::stop_token stop) : server_(server), stop_(std::move(stop)) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const std::size_t count = std::max<std::size_t>(server.options_.workers, 1);
    for (std::size_t i = 0; i < count; ++i) {
      workers_.emplace_back([this](std::stop_token worker_stop) { Work(worker_stop); });
    }
  }
  ~Loop() {
    for (auto& worker : workers_) worker.request_stop();
    requests_cv_.notify_all();
    workers_.clear();  // joins
    CloseFd(wake_fd_);
  }

  void Run() {
    const ServerOptions& o = server_.options_;
    while (!stop_.stop_requested()) {
      Heartbeat();
      TakeReturned();
      const auto now = std::chrono::steady_clock::now();
      // Connections past their deadline close; the poll waits at most until the next deadline.
      auto next = now + kPollSlice;
      for (auto it = reading_.begin(); it != reading_.end();) {
        if (it->second->deadline <= now) {
          if (it->second->started)
            server_.counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
          it = reading_.erase(it);
        } else {
          next = std::min(next, it->second->deadline);
          ++it;
        }
      }
      std::vector<pollfd> fds;
      fds.push_back({server_.listen_fd_, POLLIN, 0});
      fds.push_back({wake_fd_, POLLIN, 0});
      for (const auto& [fd, connection] : reading_) fds.push_back({fd, POLLIN, 0});
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
      if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(wait.count(), 1))) <= 0) {
        continue;
      }
      if (fds[1].revents & POLLIN) {
        std::uint64_t ignored = 0;
        (void)!::read(wake_fd_, &ignored, sizeof(ignored));
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents != 0) ReadFrom(fds[i].fd);
      }
      if (fds[0].revents & POLLIN) {
        for (int i = 0; i < 64; ++i) {
          int fd = ::accept4(server_.listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (fd < 0) break;
          if (reading_.size() + in_flight_.load() >= o.max_connections) {
            server_.counters_.busy.fetch_add(1, std::memory_order_relaxed);
            Refuse(fd, 503, "busy: too many open connections");
            CloseFd(fd);
            continue;
          }
          int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          auto connection = std::make_unique<Connection>();
          connection->fd = fd;
          connection->deadline = std::chrono::steady_clock::now() + o.read_timeout;
          reading_.emplace(fd, std::move(connection));
        }
      }
    }
  }

 private:
  void ReadFrom(int fd) {
    auto it = reading_.find(fd);
    if (it == reading_.end()) return;
    Connection& c = *it->second;
    char chunk[4096];
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      reading_.erase(it);
      return;
    }
    if (n < 0) return;
    if (!c.started) {
      c.started = true;
      c.deadline = std::chrono::steady_clock::now() + server_.options_.read_timeout;
    }
    c.buffer.append(chunk, static_cast<std::size_t>(n));
    if (HeadEnd(c.buffer).first != std::string::npos) {
      Dispatch(it);
    } else if (c.buffer.size() > kMaxHeadBytes) {
      server_.counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
      Refuse(fd, 431, "request head over " + std::to_string(kMaxHeadBytes) + " bytes");
      reading_.erase(it);
    }
  }

  // Hands the connection (its head complete) to a worker, or refuses it when too many wait.
  void Dispatch(std::map<int, std::unique_ptr<Connection>>::iterator it) {
    std::unique_ptr<Connection> connection = std::move(it->second);
    reading_.erase(it);
    {
      std::lock_guard lock(mutex_);
      if (requests_.size() < server_.options_.max_pending) {
        in_flight_.fetch_add(1);
        requests_.push_back(std::move(connection));
      }
    }
    if (connection) {
      server_.counters_.busy.fetch_add(1, std::memory_order_relaxed);
      Refuse(connection->fd, 503, "busy: every worker is answering a request");
      return;
    }
    requests_cv_.notify_one();
  }

  // Connections the workers gave back (kept alive): reading again, or at once to a worker when
  // the next request is already in the buffer (pipelining).
  void TakeReturned() {
    std::deque<std::unique_ptr<Connection>> returned;
    {
      std::lock_guard lock(mutex_);
      returned.swap(returned_);
    }
    for (auto& connection : returned) {
      const int fd = connection->fd;
      auto [it, inserted] = reading_.emplace(fd, std::move(connection));
      if (HeadEnd(it->second->buffer).first != std::string::npos) Dispatch(it);
    }
  }

  void Work(std::stop_token stop) {
    while (true) {
      std::unique_ptr<Connection> connection;
      {
        std::unique_lock lock(mutex_);
        requests_cv_.wait(lock, stop, [this] { return !requests_.empty(); });
        if (stop.stop_requested()) return;
        connection = std::move(requests_.front());
        requests_.pop_front();
      }
      const bool keep = server_.Answer(*connection, stop_);
      in_flight_.fetch_sub(1);
      if (!keep) continue;  // closed by the destructor
      connection->started = !connection->buffer.empty();
      connection->deadline =
          std::chrono::steady_clock::now() +
          (connection->started ? server_.options_.read_timeout : server_.options_.keep_alive_idle);
      {
        std::lock_guard lock(mutex_);
        returned_.push_back(std::move(connection));
      }
      const std::uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof(one));
    }
  }

  Server& server_;
  const std::stop_token stop_;
  int wake_fd_ = -1;
  // The loop thread's own: connections waiting for (the rest of) a request head.
  std::map<int, std::unique_ptr<Connection>> reading_;
  std::atomic<std::size_t> in_flight_{0};  // connections with a worker or waiting for one
  std::mutex mutex_;
  std::condition_variable_any requests_cv_;
  std::deque<std::unique_ptr<Connection>> requests_;  // guarded by mutex_: complete heads
  std::deque<std::unique_ptr<Connection>> returned_;  // guarded by mutex_: kept alive
  std::vector<std::jthread> workers_;                 // last: joined first
};

Result<std::shared_ptr<Server>> Server::Listen(ServerOptions options, Handler handler) {
  const std::string where = options.address.ToString();
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (options.address.host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(options.address.port);
    if (inet_pton(AF_INET6, options.address.host.c_str(), &a->sin6_addr) != 1) {
      return Status::InvalidArgument("cannot listen on " + where + ": not an IPv6 address");
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(options.address.port);
    if (inet_pton(AF_INET, options.address.host.c_str(), &a->sin_addr) != 1) {
      return Status::InvalidArgument("cannot listen on " + where + ": not an IPv4 address");
    }
    length = sizeof(sockaddr_in);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::Unavailable("cannot listen on " + where + ": " + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (options.share_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || ::listen(fd, 64) != 0) {
    const int error = errno;
    CloseFd(fd);
    return Status::Unavailable("cannot listen on " + where + ": " + std::strerror(error));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  std::uint16_t port = options.address.port;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) == 0) {
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  return std::shared_ptr<Server>(new Server(std::move(options), std::move(handler), fd, port));
}

Server::Server(ServerOptions options, Handler handler, int fd, std::uint16_t port)
    : Service(options.name),
      options_(std::move(options)),
      handler_(std::move(handler)),
      listen_fd_(fd),
      port_(port) {}

Server::~Server() {
  Stop();
  CloseFd(listen_fd_);
}

void Server::Run(std::stop_token stop) {
  Loop loop(*this, stop);
  loop.Run();
}

bool Server::Answer(Connection& connection, const std::stop_token& stop) {
  const int fd = connection.fd;
  auto finish = [&](int status, const std::string& why) {
    (void)WriteAllBefore(fd, SerializeResponse(Plain(status, why + "\n"), false, false),
                         std::chrono::steady_clock::now() + options_.write_timeout, stop);
    return false;
  };
  const auto [end, separator] = HeadEnd(connection.buffer);
  auto request = ParseRequestHead(std::string_view(connection.buffer).substr(0, end));
  connection.buffer.erase(0, end + separator);
  if (!request.ok()) {
    counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return finish(400, "bad request: " + request.status().message());
  }
  if (request->content_length > 0 || request->chunked) {
    counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return finish(413, "request bodies are not accepted");
  }
  ++connection.served;
  const bool head_only = request->method == "HEAD";
  Response response;
  if (request->method != "GET" && !head_only) {
    counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
    response = Plain(405, "only GET and HEAD\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    try {
      response = handler_(*request);
    } catch (const std::exception& e) {
      Logger("http")->error("{}: handler for '{}' failed: {}", name(), request->path, e.what());
      response = Plain(500, "internal error\n");
    } catch (...) {
      response = Plain(500, "internal error\n");
    }
  }
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  const bool keep = request->keep_alive &&
                    connection.served < options_.max_requests_per_connection &&
                    !stop.stop_requested();
  return WriteAllBefore(fd, SerializeResponse(response, head_only, keep),
                        std::chrono::steady_clock::now() + options_.write_timeout, stop) &&
         keep;
}

}  // namespace orcastra::http
