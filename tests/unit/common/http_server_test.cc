// The HTTP server of /metrics and the web view (common/http_server.h): the request head parser,
// and the server's bounds against a real socket on 127.0.0.1.
#include "common/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

namespace orcastra::http {
namespace {

using namespace std::chrono_literals;

TEST_CASE("request heads: a plain GET", "[http]") {
  auto r = ParseRequestHead(
      "GET /api/events?after=3&x HTTP/1.1\r\nHost: m1:9470\r\nAuthorization: Bearer abc \r\n\r\n");
  REQUIRE(r.ok());
  CHECK(r->method == "GET");
  CHECK(r->path == "/api/events");
  CHECK(r->query == "after=3&x");
  CHECK(r->QueryParam("after") == "3");
  CHECK(r->QueryParam("x").empty());
  CHECK(r->QueryParam("nope").empty());
  CHECK(r->Header("host") == "m1:9470");
  CHECK(r->Header("authorization") == "Bearer abc");
  CHECK(r->keep_alive);
  CHECK(r->content_length == 0);
  CHECK_FALSE(r->chunked);
}

TEST_CASE("request heads: connection handling by version", "[http]") {
  CHECK_FALSE(ParseRequestHead("GET / HTTP/1.0\r\n")->keep_alive);
  CHECK(ParseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n")->keep_alive);
  CHECK_FALSE(ParseRequestHead("GET / HTTP/1.1\nConnection: foo, close\n")->keep_alive);
}

TEST_CASE("request heads: what is refused", "[http]") {
  const char* bad[] = {
      "",
      "GET\r\n",
      "GET /\r\n",
      "GET / HTTP/2.0\r\n",
      "GET  / HTTP/1.1\r\n",
      "GET http://x/ HTTP/1.1\r\n",
      "G\"T / HTTP/1.1\r\n",
      "GET /a\x01 HTTP/1.1\r\n",
      "GET / HTTP/1.1\r\nNoColon\r\n",
      "GET / HTTP/1.1\r\n: empty name\r\n",
      "GET / HTTP/1.1\r\nBad Name: x\r\n",
      "GET / HTTP/1.1\r\nA: b\r\n folded\r\n",
      "GET / HTTP/1.1\r\nA: b\x01\r\n",
      "GET / HTTP/1.1\r\nContent-Length: x\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n",
      "GET / HTTP/1.1\r\n\r\nA: after the end\r\n",
  };
  for (const char* head : bad) {
    INFO(head);
    CHECK_FALSE(ParseRequestHead(head).ok());
  }
  std::string many = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i <= kMaxHeaders; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  CHECK_FALSE(ParseRequestHead(many).ok());
  CHECK_FALSE(ParseRequestHead("GET /" + std::string(kMaxHeadBytes, 'a') + " HTTP/1.1").ok());
  auto body = ParseRequestHead("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: x\r\n");
  REQUIRE(body.ok());
  CHECK(body->content_length == 5);
  CHECK(body->chunked);
}

TEST_CASE("listen addresses", "[http]") {
  CHECK(ParseListenAddress("0.0.0.0:9470", "x")->ToString() == "0.0.0.0:9470");
  CHECK(ParseListenAddress(":9471", "x")->host == "0.0.0.0");
  CHECK(ParseListenAddress("[::1]:80", "x")->host == "::1");
  CHECK(ParseListenAddress("[::1]:80", "x")->ToString() == "[::1]:80");
  for (const char* bad : {"9470", "host:1", "1.2.3.4:99999", "::1:80", "[::1:80", "1.2.3.4:"}) {
    INFO(bad);
    auto parsed = ParseListenAddress(bad, "--http-listen");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.status().message(), Catch::Contains("--http-listen"));
  }
}

TEST_CASE("responses carry length and connection", "[http]") {
  Response r;
  r.status = 404;
  r.body = "no";
  r.headers.emplace_back("X-A", "b");
  CHECK(SerializeResponse(r, false, true) ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
        "2\r\nConnection: keep-alive\r\nX-A: b\r\n\r\nno");
  CHECK(SerializeResponse(r, true, false).find("\r\n\r\n") + 4 ==
        SerializeResponse(r, true, false).size());
}

// A client socket on the test server.
int Connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void SendAll(int fd, const std::string& data) {
  REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

// Reads until the peer closes or `until` appears `count` times.
std::string ReadUntil(int fd, const std::string& until = "", int count = 1) {
  std::string out;
  char buffer[4096];
  while (true) {
    if (!until.empty()) {
      int seen = 0;
      for (std::size_t p = out.find(until); p != std::string::npos; p = out.find(until, p + 1)) {
        ++seen;
      }
      if (seen >= count) break;
    }
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::shared_ptr<Server> StartServer(ServerOptions options = {}) {
  auto server = Server::Listen(std::move(options), [](const Request& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(300ms);
    if (r.path == "/throw") throw std::runtime_error("boom");
    Response response;
    response.body = "path=" + r.path;
    return response;
  });
  REQUIRE(server.ok());
  (*server)->Start();
  return *server;
}

TEST_CASE("the server answers GET and HEAD, several requests on one connection", "[http]") {
  auto server = StartServer();
  int fd = Connect(server->port());
  SendAll(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n");
  std::string out = ReadUntil(fd, "HTTP/1.1 200", 2);
  CHECK_THAT(out, Catch::Contains("path=/a"));
  CHECK_THAT(out, !Catch::Contains("path=/b"));  // HEAD: no body
  SendAll(fd, "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n");
  out = ReadUntil(fd);
  CHECK_THAT(out, Catch::Contains("Connection: close"));
  CHECK_THAT(out, Catch::EndsWith("path=/c"));
  ::close(fd);
  CHECK(server->counters().requests == 3);
  server->Stop();
}

TEST_CASE("the server refuses bodies, big heads, other methods and garbage", "[http]") {
  auto server = StartServer();
  struct Case {
    std::string request;
    std::string status;
  } cases[] = {
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "413"},
      {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "413"},
      {"DELETE / HTTP/1.1\r\n\r\n", "405"},
      {"GET / HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes + 10, 'a'), "431"},
      {"\x16\x03\x01 not http\r\n\r\n", "400"},
      {"GET /throw HTTP/1.1\r\n\r\n", "500"},
  };
  for (const auto& c : cases) {
    INFO(c.request.substr(0, 40));
    int fd = Connect(server->port());
    SendAll(fd, c.request);
    std::string out = ReadUntil(fd, "\r\n\r\n");
    CHECK(out.substr(0, 12) == "HTTP/1.1 " + c.status);
    ::close(fd);
  }
  server->Stop();
}

TEST_CASE("a head that does not arrive in time closes the connection", "[http]") {
  ServerOptions options;
  options.read_timeout = 200ms;
  auto server = StartServer(options);
  int fd = Connect(server->port());
  SendAll(fd, "GET / HTTP/1.1\r\n");  // and never the rest
  const auto started = std::chrono::steady_clock::now();
  CHECK(ReadUntil(fd).empty());  // closed without an answer
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  ::close(fd);
  CHECK(server->counters().timeouts == 1);
  server->Stop();
}

TEST_CASE("idle and slow connections never hold a worker", "[http]") {
  ServerOptions options;
  options.workers = 1;
  auto server = StartServer(options);
  std::vector<int> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(Connect(server->port()));  // nothing sent
  int slow = Connect(server->port());
  SendAll(slow, "GET / HT");  // and the rest never
  const auto started = std::chrono::steady_clock::now();
  int fd = Connect(server->port());
  SendAll(fd, "GET /now HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK_THAT(ReadUntil(fd), Catch::EndsWith("path=/now"));
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  for (int c : idle) ::close(c);
  ::close(slow);
  ::close(fd);
  server->Stop();
}

TEST_CASE("with every worker busy and the queue full, a request gets 503 at once", "[http]") {
  ServerOptions options;
  options.workers = 1;
  options.max_pending = 1;
  auto server = StartServer(options);
  int first = Connect(server->port());  // the worker answers it for 300 ms
  SendAll(first, "GET /slow HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  int second = Connect(server->port());  // waits for the worker
  SendAll(second, "GET /slow HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  int third = Connect(server->port());
  SendAll(third, "GET /slow HTTP/1.1\r\n\r\n");
  CHECK_THAT(ReadUntil(third), Catch::StartsWith("HTTP/1.1 503"));
  CHECK_THAT(ReadUntil(first, "path=/slow"), Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(ReadUntil(second, "path=/slow"), Catch::StartsWith("HTTP/1.1 200"));
  CHECK(server->counters().busy == 1);
  for (int fd : {first, second, third}) ::close(fd);
  server->Stop();
}

TEST_CASE("more connections than the bound are refused at once", "[http]") {
  ServerOptions options;
  options.max_connections = 3;
  auto server = StartServer(options);
  std::vector<int> open;
  for (int i = 0; i < 3; ++i) open.push_back(Connect(server->port()));
  std::this_thread::sleep_for(100ms);
  int extra = Connect(server->port());
  CHECK_THAT(ReadUntil(extra), Catch::StartsWith("HTTP/1.1 503"));
  SendAll(open[0], "GET /still HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK_THAT(ReadUntil(open[0]), Catch::EndsWith("path=/still"));
  for (int fd : open) ::close(fd);
  ::close(extra);
  server->Stop();
}

TEST_CASE("a kept-alive connection is closed after its idle time", "[http]") {
  ServerOptions options;
  options.keep_alive_idle = 200ms;
  auto server = StartServer(options);
  int fd = Connect(server->port());
  SendAll(fd, "GET /a HTTP/1.1\r\n\r\n");
  const auto started = std::chrono::steady_clock::now();
  std::string out = ReadUntil(fd);  // the answer, then the close
  CHECK_THAT(out, Catch::EndsWith("path=/a"));
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  ::close(fd);
  server->Stop();
}

TEST_CASE("the server stops promptly with connections open", "[http]") {
  auto server = StartServer();
  int fd = Connect(server->port());
  SendAll(fd, "GET / HTTP/1.1\r\n");
  std::this_thread::sleep_for(50ms);
  const auto started = std::chrono::steady_clock::now();
  server->Stop();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  ::close(fd);
}

TEST_CASE("an address in use is an error naming it", "[http]") {
  auto first = Server::Listen({}, [](const Request&) { return Response{}; });
  REQUIRE(first.ok());
  ServerOptions options;
  options.address.port = (*first)->port();
  auto second = Server::Listen(options, [](const Request&) { return Response{}; });
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.status().message(),
             Catch::Contains("127.0.0.1:" + std::to_string((*first)->port())));
}

TEST_CASE("with share_port two servers listen on one address and both answer", "[http]") {
  ServerOptions options;
  options.share_port = true;
  auto first = StartServer(options);
  options.address.port = first->port();
  auto second = StartServer(options);
  // The one without share_port is still refused.
  ServerOptions plain;
  plain.address.port = first->port();
  CHECK_FALSE(Server::Listen(plain, [](const Request&) { return Response{}; }).ok());
  // Connections go to either; with the first stopped, the second answers them all.
  first->Stop();
  first.reset();  // its listening socket closed
  for (int i = 0; i < 5; ++i) {
    int fd = Connect(second->port());
    SendAll(fd, "GET /x HTTP/1.0\r\n\r\n");
    CHECK_THAT(ReadUntil(fd), Catch::Contains("path=/x"));
    ::close(fd);
  }
  CHECK(second->counters().requests.load() == 5);
}

}  // namespace
}  // namespace orcastra::http
