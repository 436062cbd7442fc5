// The Docker client's pure parts: error mapping (on a recorded 503) and URL encoding. The I/O is
// tested against a real daemon in tests/integration/docker_client_test.cc.
#include "common/docker_client.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace orcastra::docker {
namespace {

std::string FixtureText(const std::string& name) {
  std::ifstream in(std::string(ORCASTRA_FIXTURES_DIR) + "/docker/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("docker: HTTP errors keep the status and Docker's message", "[docker][errors]") {
  Status worker =
      ErrorFromResponse("GET", "/nodes?x=1", {503, FixtureText("nodes_on_worker_error.json")});
  CHECK(worker.code() == Status::Code::kUnavailable);
  CHECK(worker.message().rfind("docker GET /nodes: HTTP 503: This node is not a swarm manager.",
                               0) == 0);
  CHECK(
      ErrorFromResponse("GET", "/containers/x/json", {404, R"({"message":"No such container: x"})"})
          .code() == Status::Code::kNotFound);
  CHECK(ErrorFromResponse("POST", "/nodes/x/update", {409, "{}"}).code() ==
        Status::Code::kConflict);
  Status stale = ErrorFromResponse(
      "POST", "/nodes/x/update?version=3",
      {500, R"({"message":"rpc error: code = Unknown desc = update out of sequence"})"});
  CHECK(stale.code() == Status::Code::kConflict);
  CHECK(stale.message() ==
        "docker POST /nodes/x/update: HTTP 500: rpc error: code = Unknown desc = update out of "
        "sequence");
  Status garbage = ErrorFromResponse("GET", "/info", {502, "<html>bad gateway</html>"});
  CHECK(garbage.code() == Status::Code::kInternal);
  CHECK(garbage.message() == "docker GET /info: HTTP 502: <html>bad gateway</html>");
}

}  // namespace
}  // namespace orcastra::docker

namespace orcastra::docker {
namespace {

TEST_CASE("docker: filters are percent-encoded", "[docker]") {
  CHECK(UrlEncode(R"({"type":["node"]})") == "%7B%22type%22%3A%5B%22node%22%5D%7D");
  CHECK(UrlEncode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(SocketPathFromHost("unix:///run/orclab/m1/docker.sock").value() ==
        "/run/orclab/m1/docker.sock");
  CHECK(SocketPathFromHost("/var/run/docker.sock").value() == "/var/run/docker.sock");
  CHECK(SocketPathFromHost("tcp://127.0.0.1:2375").status().message() ==
        "docker host 'tcp://127.0.0.1:2375': only unix:///path sockets are supported");
}

}  // namespace
}  // namespace orcastra::docker

// A hostile or broken daemon (tests/fakes/fake_docker_socket.h): nothing it sends may grow the
// process without bound, hang it, or let an exception unwind through libcurl.
#include "tests/fakes/fake_docker_socket.h"

namespace orcastra::docker {
namespace {

using orcastra::testing::FakeDockerSocket;

TEST_CASE("regression: an answer larger than the client's bound is refused, not read",
          "[docker][issue8]") {
  FakeDockerSocket daemon([](int fd) {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[";
    if (!FakeDockerSocket::WriteAll(fd, head)) return;
    const std::string chunk(64 * 1024, ' ');
    for (int i = 0; i < 64; ++i) {  // 4 MiB of whitespace, then never the end of the document
      if (!FakeDockerSocket::WriteAll(fd, chunk)) return;
    }
  });
  Client client({.socket_path = daemon.path(), .max_response_bytes = 1u << 20});
  auto nodes = client.Nodes();
  REQUIRE_FALSE(nodes.ok());
  CHECK(nodes.status().code() == Status::Code::kUnavailable);
  CHECK(nodes.status().message().find("larger than 1048576 bytes") != std::string::npos);
}

TEST_CASE("regression: garbage and wrong shapes from the daemon are parse errors",
          "[docker][issue8]") {
  std::string body;
  FakeDockerSocket daemon([&body](int fd) {
    FakeDockerSocket::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  Client client({.socket_path = daemon.path()});
  for (std::string garbage : {std::string("not json"), std::string("{\"ID\": 1}"),
                              std::string("[{\"ID\": \"n\", \"Spec\": 7}]"),
                              std::string("\"\xC3\x28\""), std::string(10000, '[')}) {
    body = garbage;
    auto nodes = client.Nodes();
    INFO(garbage.substr(0, 40));
    CHECK_FALSE(nodes.ok());
  }
}

TEST_CASE("regression: an exception in an event handler is rethrown after libcurl returned",
          "[docker][issue8]") {
  FakeDockerSocket daemon([](int fd) {
    FakeDockerSocket::WriteAll(
        fd,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
        "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"c1\","
        "\"Attributes\":{}},\"time\":1}\n");
    std::this_thread::sleep_for(std::chrono::seconds(5));  // the stream stays open
  });
  Client client({.socket_path = daemon.path()});
  std::stop_source stop;
  CHECK_THROWS_WITH(
      client.StreamEvents(
          {}, [](const Event&) { throw std::runtime_error("handler bug"); }, stop.get_token()),
      "handler bug");
}

TEST_CASE("regression: an event stream whose line never ends is cut off", "[docker][issue8]") {
  FakeDockerSocket daemon([](int fd) {
    if (!FakeDockerSocket::WriteAll(fd, "HTTP/1.1 200 OK\r\n\r\n{\"Type\":\"")) return;
    const std::string chunk(256 * 1024, 'x');
    for (int i = 0; i < 40; ++i) {  // 10 MiB without a newline
      if (!FakeDockerSocket::WriteAll(fd, chunk)) return;
    }
  });
  Client client({.socket_path = daemon.path()});
  std::stop_source stop;
  int events = 0;
  Status ended = client.StreamEvents(
      {}, [&](const Event&) { ++events; }, stop.get_token());
  CHECK(events == 0);
  CHECK(ended.code() == Status::Code::kUnavailable);
  CHECK(ended.message().find("longer than") != std::string::npos);
}

}  // namespace
}  // namespace orcastra::docker
