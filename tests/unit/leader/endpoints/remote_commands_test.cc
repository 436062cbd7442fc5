// The leader's bookkeeping of agent commands: peers, pending requests, deadlines, events (issue 4).
#include "leader/endpoints/remote_commands.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SteadyTime kT0{seconds(1000)};

protocol::AgentCommandResult Ok(std::uint64_t id, std::string output) {
  return {id, true, "", std::move(output)};
}

TEST_CASE("agent peers: found by id or hostname, latest identity wins", "[remote_commands]") {
  AgentPeers peers;
  peers.See("id-w1", "w1", "ident-a", milliseconds(5000), kT0);
  peers.See("id-w1", "", "ident-b", milliseconds(0), kT0 + seconds(1));  // a reconnect
  auto by_name = peers.Find("w1", kT0 + seconds(2));
  REQUIRE(by_name.ok());
  CHECK(by_name->identity == "ident-b");
  CHECK(by_name->hostname == "w1");
  CHECK(by_name->report_interval == milliseconds(5000));
  auto by_id = peers.Find("id-w1", kT0 + seconds(2));
  REQUIRE(by_id.ok());
  CHECK(by_id->node_id == "id-w1");
}

TEST_CASE("agent peers: unknown and silent agents are clear errors", "[remote_commands]") {
  AgentPeers peers;
  peers.See("id-w1", "w1", "ident", milliseconds(5000), kT0);
  auto unknown = peers.Find("w9", kT0);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == Status::Code::kNotFound);
  CHECK_THAT(unknown.status().message(), Catch::Contains("'w9'"));
  CHECK(peers.Find("w1", kT0 + seconds(15)).ok());
  auto silent = peers.Find("w1", kT0 + seconds(16));
  REQUIRE_FALSE(silent.ok());
  CHECK(silent.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(silent.status().message(), Catch::Contains("not connected (silent for 16s)"));
  CHECK(peers.Connected(kT0 + seconds(16)).empty());
}

TEST_CASE("agent peers: Connected lists the fresh ones by hostname", "[remote_commands]") {
  AgentPeers peers;
  peers.See("b", "w2", "i2", milliseconds(1000), kT0);
  peers.See("a", "w1", "i1", milliseconds(1000), kT0);
  peers.See("c", "w3", "i3", milliseconds(1000), kT0 - seconds(60));
  auto connected = peers.Connected(kT0);
  REQUIRE(connected.size() == 2);
  CHECK(connected[0].hostname == "w1");
  CHECK(connected[1].hostname == "w2");
}

TEST_CASE("pending commands: a CLI request is answered once, by the node asked",
          "[remote_commands]") {
  PendingCommands pending;
  std::uint64_t id = pending.StartCli("cli-peer", {"id-w1", "w1"}, kT0 + seconds(10));
  CHECK(pending.OnResult(Ok(id, "x"), "id-w2").empty());       // another node: ignored
  CHECK(pending.OnResult(Ok(id + 99, "x"), "id-w1").empty());  // unknown id: ignored
  Completions done = pending.OnResult(Ok(id, "lines\n"), "id-w1");
  REQUIRE(done.cli.size() == 1);
  CHECK(done.cli[0].cli_identity == "cli-peer");
  CHECK(done.cli[0].node == "w1");
  CHECK(done.cli[0].result.output == "lines\n");
  CHECK(pending.size() == 0);
  CHECK(pending.OnResult(Ok(id, "again"), "id-w1").empty());  // a duplicate: ignored
}

TEST_CASE("pending commands: a deadline ends a request with an error naming the node",
          "[remote_commands]") {
  PendingCommands pending;
  std::uint64_t id = pending.StartCli("cli", {"id-w1", "w1"}, kT0 + seconds(10));
  CHECK(pending.Expire(kT0 + seconds(9)).empty());
  Completions done = pending.Expire(kT0 + seconds(10));
  REQUIRE(done.cli.size() == 1);
  CHECK(done.cli[0].result.id == id);
  CHECK_FALSE(done.cli[0].result.ok);
  CHECK_THAT(done.cli[0].result.error, Catch::Contains("no answer from the agent on 'w1'"));
  CHECK(pending.OnResult(Ok(id, "late"), "id-w1").empty());
}

TEST_CASE("pending commands: a batch completes when every target answered or timed out",
          "[remote_commands]") {
  PendingCommands pending;
  AgentCommandRequest request{5, "gc", "cli", "gc", std::nullopt};
  auto ids = pending.StartBatch(request, {{"id-w1", "w1"}, {"id-w2", "w2"}}, kT0 + seconds(20));
  REQUIRE(ids.size() == 2);
  CHECK(ids[0] != ids[1]);
  CHECK(pending.OnResult(Ok(ids[1], "gc run started"), "id-w2").empty());
  SECTION("both answer") {
    Completions done = pending.OnResult(Ok(ids[0], "gc run started"), "id-w1");
    REQUIRE(done.batches.size() == 1);
    protocol::Event event = BatchEvent(done.batches[0]);
    CHECK(event.kind == "command");
    CHECK(event.subject == "gc");
    CHECK(event.message == "w1: gc run started\nw2: gc run started");
    CHECK(event.attrs.at("id") == "5");
    CHECK(event.attrs.at("source") == "cli");
    CHECK(event.attrs.at("result") == "ok");
    CHECK(event.attrs.at("node") == "w1,w2");
  }
  SECTION("one times out") {
    Completions done = pending.Expire(kT0 + seconds(20));
    REQUIRE(done.batches.size() == 1);
    protocol::Event event = BatchEvent(done.batches[0]);
    CHECK(event.attrs.at("result") == "failed");
    CHECK_THAT(event.message, Catch::Contains("w1: failed: no answer from the agent on 'w1'"));
    CHECK_THAT(event.message, Catch::Contains("w2: gc run started"));
  }
  CHECK(pending.size() == 0);
}

TEST_CASE("pending commands: a failed request event names the node", "[remote_commands]") {
  AgentCommandRequest request{3, "gc:w9", "file", "gc", "w9"};
  protocol::Event event = FailedRequestEvent(request, "no agent of node 'w9'");
  CHECK(event.kind == "command");
  CHECK(event.subject == "gc:w9");
  CHECK(event.attrs.at("result") == "failed");
  CHECK(event.attrs.at("node") == "w9");
  CHECK(event.attrs.at("source") == "file");
}

TEST_CASE("agent command outbox: hands over in order", "[remote_commands]") {
  AgentCommandOutbox outbox;
  outbox.Push({1, "gc", "cli", "gc", std::nullopt});
  outbox.Push({2, "rotate_logs:w1", "file", "rotate_logs", "w1"});
  auto taken = outbox.TakeAll();
  REQUIRE(taken.size() == 2);
  CHECK(taken[0].id == 1);
  CHECK(taken[1].node == "w1");
  CHECK(outbox.TakeAll().empty());
}

}  // namespace
}  // namespace orcastra::leader
