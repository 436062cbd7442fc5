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
