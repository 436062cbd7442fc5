// Benchmark: the leader's CPU time per HTTP request with N simulated nodes (default 1000), for
// /metrics next to /api/nodes (the `orcastra nodes` document, what exists today) and /healthz.
//
//   orcastra_metrics_bench [NODES] [REQUESTS]
//   orcastra_metrics_bench NODES dump        (prints one /metrics answer, for promtool)
//   orcastra_metrics_bench NODES serve PORT  (serves the simulated leader on 127.0.0.1:PORT with
//                                             the token "bench-token", to look at the web view)
//
// The leader's shared state is filled as the endpoints and the node watcher would fill it: N nodes
// in Swarm's list, a report from each agent with 10 containers, a full event log and a controller
// view with 20 anchors. A child process serves it with the real HTTP server and LeaderEndpoint;
// the parent sends REQUESTS keep-alive GETs per path over loopback and reads the child's CPU time
// (utime + stime from /proc) before and after, so the client's own work is not counted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/http_server.h"
#include "leader/observe/endpoint.h"
#include "leader/state/shared_state.h"

using namespace orcastra;
using namespace orcastra::leader;

namespace {

void Fill(SharedState& shared, const Clock& clock, int nodes) {
  std::vector<docker::Node> list;
  for (int i = 0; i < nodes; ++i) {
    docker::Node n;
    static const char* kLab[] = {"m1", "m2", "m3", "w1", "w2"};
    n.id = "node" + std::to_string(100000 + i) + "abcdefghijklmnop";
    n.hostname = nodes <= 5 ? kLab[i] : "host-" + std::to_string(i);
    n.manager_leader = i == 0;
    n.manager_reachability = i < 3 ? "reachable" : "";
    n.role = i < 3 ? "manager" : "worker";
    n.state = "ready";
    n.availability = "active";
    n.addr = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    n.labels = {{"zone", "z" + std::to_string(i % 3)}, {"pool", "p"}};
    list.push_back(std::move(n));
  }
  shared.cluster.SetIdentity({list[0].id, list[0].hostname});
  shared.cluster.SetNodes(list, clock.Now());
  for (int i = 0; i < nodes; ++i) {
    const docker::Node& n = list[static_cast<std::size_t>(i)];
    protocol::NodeReport r;
    r.node_id = n.id;
    r.hostname = n.hostname;
    r.report_interval_ms = 5000;
    const std::uint64_t total = (1024ull + 64ull * static_cast<std::uint64_t>(i % 5)) << 20;
    const std::uint64_t used = total / 100 * (20 + 17 * static_cast<std::uint64_t>(i % 5));
    r.memory = {total, total - used, used, "procfs"};
    r.load = {0.5, 0.4, 0.3};
    r.cpu_percent = 12;
    r.psi = {true, 0.5 * static_cast<double>(i % 4), 0.1 * static_cast<double>(i % 2)};
    for (int c = 0; c < 10; ++c) {
      protocol::ContainerReport container;
      container.id = n.id + std::to_string(c);
      container.name = "svc" + std::to_string(c);
      container.state = "running";
      container.health = c % 3 == 0 ? "healthy" : "";
      r.containers.push_back(container);
    }
    shared.cluster.RecordReport(r, clock.Now());
  }
  for (int e = 0; e < 1000; ++e) {
    shared.cluster.RecordEvent(list[e % nodes].id,
                               {"container_die", "abc", "exited with 1", {{"exitCode", "1"}}},
                               clock.WallMs());
  }
  nlohmann::json anchors = nlohmann::json::array();
  if (nodes == 5) {  // the lab's shape, to look at
    anchors.push_back({{"name", "db"},
                       {"service", "e2e_db"},
                       {"state", "running"},
                       {"nodes", {"w1"}},
                       {"dependents",
                        {{{"name", "app"}, {"state", "colocated"}, {"nodes", {"w1"}}},
                         {{"name", "api"}, {"state", "colocated"}, {"nodes", {"w1"}}}}}});
    anchors.push_back({{"name", "cache"},
                       {"service", "e2e_cache"},
                       {"state", "running"},
                       {"nodes", {"m2"}},
                       {"dependents",
                        {{{"name", "web"},
                          {"state", "misplaced"},
                          {"nodes", {"w2"}},
                          {"attempts", 2},
                          {"retry_in_s", 8},
                          {"detail", "runs on w2, its anchor on m2"}}}}});
  }
  for (int a = 0; a < 20 && nodes > 20; ++a) {
    anchors.push_back(
        {{"name", "a" + std::to_string(a)},
         {"service", "s_a" + std::to_string(a)},
         {"state", "running"},
         {"nodes", {list[a].hostname}},
         {"dependents", {{{"name", "d"}, {"state", "colocated"}, {"nodes", {list[a].hostname}}}}}});
  }
  shared.view.has_config = true;
  shared.view.plan = {{"anchors", anchors}};
}

long CpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

// REQUESTS keep-alive GETs of `path`; returns the size of the last body.
std::size_t Hammer(std::uint16_t port, const std::string& path, int requests) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 0;
  std::size_t body_size = 0;
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer bench-token\r\n\r\n";
  std::string buffer;
  char chunk[65536];
  for (int i = 0; i < requests; ++i) {
    if (i > 0 && i % 90 == 0) {  // the server closes after 100 requests: reconnect before
      ::close(fd);
      fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 0;
      buffer.clear();
    }
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    while (true) {
      std::size_t head_end = buffer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t cl = buffer.find("Content-Length: ");
        std::size_t length = std::stoul(buffer.substr(cl + 16));
        if (buffer.size() >= head_end + 4 + length) {
          body_size = length;
          buffer.erase(0, head_end + 4 + length);
          break;
        }
      }
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return body_size;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return body_size;
}

}  // namespace

int main(int argc, char** argv) {
  const int nodes = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int requests = argc > 2 ? std::atoi(argv[2]) : 200;
  SystemClock clock;
  SharedState shared;
  Fill(shared, clock, nodes);
  ControllerCounters controller;
  std::vector<std::shared_ptr<Service>> loops;
  LeaderEndpoint endpoint;
  endpoint.version = "bench";
  endpoint.clock = &clock;
  endpoint.shared = &shared;
  endpoint.lease = [] { return LeaseView{true, 3, "node100000", "host-0"}; };
  endpoint.controller = &controller;
  endpoint.queued_commands = [] { return std::size_t{0}; };
  endpoint.loops = &loops;
  endpoint.token = "bench-token";
  auto server =
      http::Server::Listen({}, [&](const http::Request& r) { return endpoint.Handle(r); });
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().message().c_str());
    return 1;
  }
  if (argc > 3 && std::string(argv[2]) == "serve") {
    http::ServerOptions options;
    options.address.port = static_cast<std::uint16_t>(std::atoi(argv[3]));
    auto serving =
        http::Server::Listen(options, [&](const http::Request& r) { return endpoint.Handle(r); });
    if (!serving.ok()) return 1;
    (*serving)->Start();
    std::printf("serving on 127.0.0.1:%u, token bench-token\n", (*serving)->port());
    std::fflush(stdout);
    pause();
    return 0;
  }
  if (argc > 2 && std::string(argv[2]) == "dump") {
    http::Request request;
    request.method = "GET";
    request.path = "/metrics";
    std::fputs(endpoint.Handle(request).body.c_str(), stdout);
    return 0;
  }
  const std::uint16_t port = (*server)->port();
  pid_t child = fork();
  if (child == 0) {
    (*server)->Start();
    pause();
    _exit(0);
  }
  usleep(200000);
  const long hz = sysconf(_SC_CLK_TCK);
  std::printf(
      "leader HTTP cost with %d nodes (%d reports of 10 containers, 1000 events, 20 anchors), "
      "%d requests per path\n",
      nodes, nodes, requests);
  std::printf("%-12s %12s %14s %14s\n", "path", "body bytes", "CPU ms/req", "wall ms/req");
  for (const std::string path : {"/healthz", "/api/nodes", "/metrics"}) {
    Hammer(port, path, 5);  // warm up
    const long before = CpuTicks(child);
    const auto started = std::chrono::steady_clock::now();
    const std::size_t size = Hammer(port, path, requests);
    const double wall =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    const long used = CpuTicks(child) - before;
    std::printf("%-12s %12zu %14.3f %14.3f\n", path.c_str(), size,
                1000.0 * static_cast<double>(used) / static_cast<double>(hz) / requests,
                wall / requests);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return 0;
}
