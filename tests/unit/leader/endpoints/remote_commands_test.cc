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
  std::uint64_t id = pending.StartCli("cli-peer", {"id-w1", "w1"}, kT0 + seconds(10)).value();
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
  std::uint64_t id = pending.StartCli("cli", {"id-w1", "w1"}, kT0 + seconds(10)).value();
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
  auto ids =
      pending.StartBatch(request, {{"id-w1", "w1"}, {"id-w2", "w2"}}, kT0 + seconds(20)).value();
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
  REQUIRE(taken.requests.size() == 2);
  CHECK(taken.requests[0].id == 1);
  CHECK(taken.requests[1].node == "w1");
  CHECK(taken.refused.empty());
  CHECK(outbox.TakeAll().requests.empty());
}

TEST_CASE("agent command outbox: bounded; what does not fit is handed over as refused",
          "[remote_commands][bounds]") {
  AgentCommandOutbox outbox;
  const std::size_t cap = AgentCommandOutbox::kMaxRequests;
  for (std::uint64_t i = 1; i <= 3 * cap + 8; ++i) outbox.Push({i, "gc", "cli", "gc", {}});
  auto taken = outbox.TakeAll();
  CHECK(taken.requests.size() == cap);
  CHECK(taken.requests.front().id == 1);
  CHECK(taken.refused.size() == cap);
  CHECK(taken.refused.front().id == cap + 1);
  CHECK(taken.dropped == cap + 8);
  auto again = outbox.TakeAll();
  CHECK(again.requests.empty());
  CHECK(again.refused.empty());
  CHECK(again.dropped == 0);
}

TEST_CASE("pending commands: logs requests are capped and the next one is refused as busy",
          "[remote_commands][bounds]") {
  PendingCommands pending;
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < PendingCommands::kMaxCliRequests; ++i) {
    auto id = pending.StartCli("cli-" + std::to_string(i), {"id-w1", "w1"}, kT0 + seconds(10));
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  auto refused = pending.StartCli("cli-flood", {"id-w1", "w1"}, kT0 + seconds(10));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(), Catch::StartsWith("busy"));
  CHECK(pending.cli_size() == PendingCommands::kMaxCliRequests);
  // One answered: room for one more.
  CHECK(pending.OnResult(Ok(ids[0], "x"), "id-w1").cli.size() == 1);
  CHECK(pending.StartCli("cli-next", {"id-w1", "w1"}, kT0 + seconds(10)).ok());
  // Expiry frees them all.
  CHECK(pending.Expire(kT0 + seconds(10)).cli.size() == PendingCommands::kMaxCliRequests);
  CHECK(pending.size() == 0);
  CHECK(pending.cli_size() == 0);
}

TEST_CASE("pending commands: a batch that would pass the cap is refused as busy",
          "[remote_commands][bounds]") {
  PendingCommands pending;
  std::vector<PendingCommands::Target> many(PendingCommands::kMaxEntries, {"id-w1", "w1"});
  REQUIRE(pending.StartBatch({1, "gc", "cli", "gc", {}}, many, kT0 + seconds(20)).ok());
  auto refused = pending.StartBatch({2, "gc", "cli", "gc", {}}, {{"id-w2", "w2"}}, kT0);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::StartsWith("busy"));
  CHECK_FALSE(pending.StartCli("cli", {"id-w1", "w1"}, kT0).ok());
  CHECK(pending.size() == PendingCommands::kMaxEntries);
}

TEST_CASE("agent peers: pruned to Swarm's node list, other node ids capped",
          "[remote_commands][bounds]") {
  AgentPeers peers;
  // Before any node list: a peer claiming ever new node ids fills at most kMaxUnlisted places.
  for (int i = 0; i < 1000; ++i) {
    peers.See("fake-" + std::to_string(i), "", "ident", milliseconds(5000), kT0 + milliseconds(i));
  }
  CHECK(peers.size() == AgentPeers::kMaxUnlisted);
  CHECK(peers.Find("fake-999", kT0 + seconds(1)).ok());  // the most recent are kept
  CHECK_FALSE(peers.Find("fake-0", kT0 + seconds(1)).ok());
  peers.See("id-w1", "w1", "i1", milliseconds(5000), kT0 + seconds(1));
  peers.PruneTo({"id-w1", "id-w2"});
  CHECK(peers.size() == 1);
  CHECK(peers.Find("w1", kT0 + seconds(2)).ok());
  // Listed nodes always find a place; unlisted ones stay capped.
  for (int i = 0; i < 1000; ++i) {
    peers.See("fake-" + std::to_string(i), "", "ident", milliseconds(5000), kT0 + seconds(3));
  }
  peers.See("id-w2", "w2", "i2", milliseconds(5000), kT0 + seconds(3));
  CHECK(peers.size() == 2 + AgentPeers::kMaxUnlisted);
  CHECK(peers.Find("w2", kT0 + seconds(3)).ok());
  CHECK(peers.Find("w1", kT0 + seconds(3)).ok());
}

TEST_CASE("agent peers: a claimed report interval is clamped", "[remote_commands][bounds]") {
  AgentPeers peers;
  peers.See("id-w1", "w1", "i1", milliseconds(0xFFFFFFFFu), kT0);
  // 2^32-1 ms would keep it connected for 149 days; clamped to 5 min it is lost after 15 min.
  CHECK(peers.Find("w1", kT0 + std::chrono::minutes(15)).ok());
  CHECK_FALSE(peers.Find("w1", kT0 + std::chrono::minutes(15) + seconds(1)).ok());
  peers.See("id-w2", "w2", "i2", milliseconds(1), kT0);
  // 1 ms would make it look lost between any two messages; clamped to 100 ms.
  CHECK(peers.Find("w2", kT0 + milliseconds(300)).ok());
  CHECK_FALSE(peers.Find("w2", kT0 + milliseconds(301)).ok());
}

}  // namespace
}  // namespace orcastra::leader
