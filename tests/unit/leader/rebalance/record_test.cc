// The rebalance record's JSON (leader/rebalance/record.h): round trip, bounds, refusals naming
// the field.
#include "leader/rebalance/record.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

MoveRecord Move(MoveOutcome outcome = MoveOutcome::kLanded) {
  MoveRecord m;
  m.service = "shop_web";
  m.service_id = "k2j3h4g5f6d7s8a9";
  m.dependents = {"shop_app"};
  m.from_node = "n1abc";
  m.to_node = "n2abc";
  m.from_hostname = "w1";
  m.to_hostname = "w2";
  m.constraints = {"node.id==n2abc"};
  m.memory_bytes = 512ULL << 20;
  m.started_ms = 1'700'000'000'000;
  m.deadline_ms = m.started_ms + 600'000;
  m.ended_ms = InFlight(outcome) ? 0 : m.started_ms + 9000;
  m.outcome = outcome;
  m.why = "w1 91% -> 70%";
  m.result = "landed: shop_web runs on w2";
  return m;
}

TEST_CASE("rebalance record: every outcome round-trips; dry-run moves are not stored",
          "[rebalance][record]") {
  RebalanceMemory memory;
  for (MoveOutcome o : {MoveOutcome::kPlacing, MoveOutcome::kRemoving, MoveOutcome::kRollingBack,
                        MoveOutcome::kLanded, MoveOutcome::kRolledBack}) {
    memory.moves.push_back(Move(o));
  }
  RebalanceMemory with_dry = memory;
  with_dry.moves.push_back(Move(MoveOutcome::kDryRun));
  auto text = EncodeRebalanceRecord(with_dry);
  REQUIRE(text.ok());
  auto back = DecodeRebalanceRecord(*text, "record");
  REQUIRE(back.ok());
  CHECK(*back == memory);
  CHECK(DecodeRebalanceRecord(R"({"format": 1})", "r")->moves.empty());
}

TEST_CASE("rebalance record: refusals name the field", "[rebalance][record]") {
  auto refusal = [](const std::string& text) {
    auto r = DecodeRebalanceRecord(text, "record");
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  const std::string head = R"({"format": 1, "moves": [)";
  auto with = [&](const std::string& key, const std::string& value) {
    nlohmann::json m = nlohmann::json::parse(*EncodeRebalanceRecord({{Move()}}))["moves"][0];
    m[key] = nlohmann::json::parse(value);
    return head + m.dump() + "]}";
  };
  CHECK(refusal("nope").rfind("record: not JSON", 0) == 0);
  CHECK(refusal("[]") == "record: not a JSON object");
  CHECK(refusal(R"({"format": 2})") == "record: format 2, this version reads format 1");
  CHECK(refusal(R"({"moves": []})") == "record: field 'format' is missing or not an integer");
  CHECK(refusal(R"({"format": 1, "format": 1})") == "record: duplicate key 'format'");
  CHECK(refusal(R"({"format": 1, "moves": {}})") == "record: field 'moves' is not a list");
  CHECK(refusal(with("service", R"("bad name")")) ==
        "record: field 'moves[0].service' is not a service name (1..255 bytes of A-Z a-z 0-9 _ . "
        "-)");
  CHECK(refusal(with("to", R"("id-with-dash")")) ==
        "record: field 'moves[0].to' is not an id (1..128 letters and digits)");
  CHECK(refusal(with("started_ms", "-1")) ==
        "record: field 'moves[0].started_ms' is -1, not within 0..253402300799999");
  CHECK(refusal(with("memory_bytes", R"("1")")) ==
        "record: field 'moves[0].memory_bytes' is not an integer");
  CHECK(refusal(with("outcome", R"("dry_run")")) ==
        "record: field 'moves[0].outcome' is 'dry_run', not an outcome a record holds");
  CHECK(refusal(with("ended_ms", "0")) ==
        "record: field 'moves[0].ended_ms' does not match outcome 'landed'");
  CHECK(refusal(with("constraints", R"([""])")) ==
        "record: field 'moves[0].constraints[0]' is not a text of 1..256 bytes");
  CHECK(refusal(with("why", "\"" + std::string(1025, 'x') + "\"")) ==
        "record: field 'moves[0].why' is longer than 1024 bytes");
  CHECK(refusal(std::string(kMaxRebalanceRecordBytes + 1, ' ')).find("more than the") !=
        std::string::npos);
  // Unknown keys are ignored.
  CHECK(DecodeRebalanceRecord(with("new_key", "[1, 2]"), "record").ok());
}

TEST_CASE("rebalance record: bounds when writing", "[rebalance][record]") {
  RebalanceMemory memory;
  MoveRecord bad = Move();
  bad.to_node = "not an id";
  memory.moves = {bad};
  CHECK_FALSE(EncodeRebalanceRecord(memory).ok());
  // Long texts are cut, not refused.
  MoveRecord chatty = Move();
  chatty.why = std::string(5000, 'w');
  auto text = EncodeRebalanceRecord({{chatty}});
  REQUIRE(text.ok());
  auto back = DecodeRebalanceRecord(*text, "r");
  REQUIRE(back.ok());
  CHECK(back->moves[0].why.size() <= kMaxMoveTextBytes);
  // Too big: the oldest ended moves go first; moves in flight stay.
  MoveRecord big = Move();
  big.why = std::string(1000, 'a');
  big.result = std::string(1000, 'b');
  big.constraints.assign(60, std::string(200, 'c'));
  RebalanceMemory many;
  many.moves.push_back(Move(MoveOutcome::kPlacing));
  for (int i = 0; i < 100; ++i) many.moves.push_back(big);
  auto fitted = EncodeRebalanceRecord(many);
  REQUIRE(fitted.ok());
  CHECK(fitted->size() <= kMaxRebalanceRecordBytes);
  auto decoded = DecodeRebalanceRecord(*fitted, "r");
  REQUIRE(decoded.ok());
  CHECK(decoded->moves.size() < 101);
  CHECK(decoded->moves[0].outcome == MoveOutcome::kPlacing);
}

}  // namespace
}  // namespace orcastra::leader
