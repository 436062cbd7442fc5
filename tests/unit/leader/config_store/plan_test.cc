// The stored configuration's decisions (issue 13): the set's encoding and its parser, a config
// object's labels, what apply stores or refuses and prunes, which version an instance puts in
// force, and the diff.
#include "leader/config_store/plan.h"

#include <catch2/catch.hpp>

#include "common/base64.h"

namespace orcastra::leader {
namespace {

const char kGood[] = "nodes: {}\ndependencies:\n  db:\n    services: [app]\n";
const char kBroken[] = "nodes: {}\ndependencies:\n  db:\n    services: 5\n";

ConfigSet Set(std::string swarm, std::string rebalance = "") {
  ConfigSet set;
  set.files["swarm.yml"] = std::move(swarm);
  if (!rebalance.empty()) set.files["rebalance_config.yml"] = std::move(rebalance);
  return set;
}

// A stored version as PlanApply would store `set`.
StoredVersion Stored(std::uint64_t number, const ConfigSet& set) {
  StoredVersion v;
  v.id = "id" + std::to_string(number);
  v.number = number;
  v.name = std::string(kConfigObjectPrefix) + std::to_string(number);
  const std::string bytes = EncodeSet(set);
  v.digest = Sha256Hex(bytes);
  v.data = Base64Encode(bytes);
  return v;
}

TEST_CASE("config store: a set survives its encoding", "[leader][config_store]") {
  ConfigSet set = Set(kGood, "default: {}\n");
  set.files["nodes.yml"] = "ünïcode: \"\\u00e9\"\n";
  auto decoded = DecodeSet(EncodeSet(set));
  REQUIRE(decoded.ok());
  CHECK(*decoded == set);
  CHECK(EncodeSet(set) == EncodeSet(*decoded));  // deterministic: same digest every time
}

TEST_CASE("config store: the data parser refuses what it cannot use, naming it",
          "[leader][config_store]") {
  auto refused = [](std::string_view data, const char* why) {
    auto set = DecodeSet(data);
    INFO(data);
    REQUIRE_FALSE(set.ok());
    CHECK(set.status().code() == Status::Code::kParseError);
    CHECK_THAT(set.status().message(), Catch::Contains(why));
  };
  refused("", "not JSON");
  refused("[1]", "not a JSON object");
  refused(R"({"files":{"swarm.yml":"x"}})", "\"format\"");
  refused(R"({"format":2,"files":{"swarm.yml":"x"}})", "\"format\"");
  refused(R"({"format":1})", "\"files\" is missing");
  refused(R"({"format":1,"files":{}})", "empty");
  refused(R"({"format":1,"files":{"../etc/passwd":"x"}})", "unknown file name");
  refused(R"({"format":1,"files":{"swarm.yml":5}})", "not a string");
  refused(std::string(kMaxStoredDataBytes + 1, ' '), "limit");
}

TEST_CASE("config store: a config object's labels as a version", "[leader][config_store]") {
  ConfigObject object{"abc",
                      "orcastra-config-v12",
                      99,
                      {{kLabelVersion, "12"},
                       {kLabelAppliedAt, "1700000000000"},
                       {kLabelAppliedBy, "alice"},
                       {kLabelAppliedByKey, "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"},
                       {kLabelVia, "m1 (id-m1)"},
                       {kLabelDigest, "00"}},
                      "ZGF0YQ=="};
  auto version = VersionFromConfig(object);
  REQUIRE(version.ok());
  REQUIRE(version->has_value());
  const StoredVersion& v = **version;
  CHECK(v.number == 12);
  CHECK(v.applied_at_ms == 1700000000000);
  CHECK(v.by == AppliedBy{"alice", "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", "m1 (id-m1)"});
  CHECK(v.data == "ZGF0YQ==");

  SECTION("not ours: another name, or no version label") {
    ConfigObject lease{"x", "orcastra-leader-lease", 1, {{kLabelVersion, "1"}}, ""};
    CHECK_FALSE(VersionFromConfig(lease)->has_value());
    ConfigObject unlabelled{"x", "orcastra-config-v3", 1, {}, ""};
    CHECK_FALSE(VersionFromConfig(unlabelled)->has_value());
    ConfigObject suffix{"x", "orcastra-config-v3-old", 1, {{kLabelVersion, "3"}}, ""};
    CHECK_FALSE(VersionFromConfig(suffix)->has_value());
  }
  SECTION("ours but inconsistent: an error naming the object and the label") {
    object.labels[kLabelVersion] = "13";
    auto bad = VersionFromConfig(object);
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.status().message(),
               Catch::Contains("orcastra-config-v12") && Catch::Contains(kLabelVersion));
    object.labels[kLabelVersion] = "12";
    object.labels[kLabelAppliedAt] = "yesterday";
    CHECK_FALSE(VersionFromConfig(object).ok());
  }
  // Found by the long run of fuzz_config_store: 'orcastra-config-v03' was read as version 3, a
  // second object for one version beside 'orcastra-config-v3'.
  SECTION("a version number with leading zeros is refused, naming the canonical name") {
    ConfigObject zeros{"x", "orcastra-config-v012", 1, {{kLabelVersion, "12"}}, ""};
    auto bad = VersionFromConfig(zeros);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == Status::Code::kParseError);
    CHECK_THAT(bad.status().message(),
               Catch::Contains("leading zeros") && Catch::Contains("orcastra-config-v12 is"));
  }
}

TEST_CASE("config store: apply refuses an invalid set with file:line, storing nothing",
          "[leader][config_store]") {
  ApplyPlan plan = PlanApply(Set(kBroken), {}, {"alice", "", ""}, 1000, {});
  CHECK(plan.kind == ApplyPlan::Kind::kRefused);
  CHECK(plan.data.empty());
  CHECK(plan.name.empty());
  REQUIRE_FALSE(plan.diagnostics.empty());
  CHECK(plan.diagnostics[0].file == "orcastra-config-v1/swarm.yml");
  CHECK(plan.diagnostics[0].line == 4);
  CHECK_THAT(plan.refusal, Catch::Contains("nothing was stored"));

  SECTION("no swarm configuration at all is an error too") {
    ConfigSet only_rebalance;
    only_rebalance.files["rebalance_config.yml"] = "default: {}\n";
    CHECK(PlanApply(only_rebalance, {}, {}, 0, {}).kind == ApplyPlan::Kind::kRefused);
  }
  SECTION("larger than Swarm keeps") {
    std::string big = kGood;
    big += "# " + std::string(kMaxStoredDataBytes, 'x') + "\n";
    ApplyPlan too_big = PlanApply(Set(big), {}, {}, 0, {});
    CHECK(too_big.kind == ApplyPlan::Kind::kRefused);
    CHECK_THAT(too_big.refusal, Catch::Contains("bytes"));
  }
}

TEST_CASE("config store: apply stores a new version with its labels", "[leader][config_store]") {
  const ConfigSet set = Set(kGood);
  ApplyPlan first = PlanApply(set, {}, {"alice", "KEY", "m1 (id-m1)"}, 1234, {});
  REQUIRE(first.kind == ApplyPlan::Kind::kStore);
  CHECK(first.number == 1);
  CHECK(first.name == "orcastra-config-v1");
  CHECK(first.labels.at(kLabelVersion) == "1");
  CHECK(first.labels.at(kLabelAppliedAt) == "1234");
  CHECK(first.labels.at(kLabelAppliedBy) == "alice");
  CHECK(first.labels.at(kLabelAppliedByKey) == "KEY");
  CHECK(first.labels.at(kLabelVia) == "m1 (id-m1)");
  CHECK(first.prune.empty());
  CHECK(Base64Decode(first.data) == EncodeSet(set));
  CHECK(first.labels.at(kLabelDigest) == Sha256Hex(EncodeSet(set)));

  // Read back as Swarm would give it: the same set.
  auto back = VersionFromConfig({"id", first.name, 1, first.labels, first.data});
  REQUIRE(back.ok());
  REQUIRE(back->has_value());
  auto decoded = SetOfVersion(**back);
  REQUIRE(decoded.ok());
  CHECK(*decoded == set);

  SECTION("the same set again: unchanged, nothing stored") {
    ApplyPlan again = PlanApply(set, {Stored(1, set)}, {}, 0, {});
    CHECK(again.kind == ApplyPlan::Kind::kUnchanged);
    CHECK(again.number == 1);
  }
  SECTION("a changed set: the next number, after the highest stored") {
    ApplyPlan next = PlanApply(Set(std::string(kGood) + "# changed\n"),
                               {Stored(7, set), Stored(3, set)}, {}, 0, {});
    CHECK(next.kind == ApplyPlan::Kind::kStore);
    CHECK(next.number == 8);
    REQUIRE(next.newest);
    CHECK(next.newest->number == 7);
  }
  SECTION("the set of an older version again is a new version (the newest is what counts)") {
    ConfigSet other = Set(std::string(kGood) + "# other\n");
    CHECK(PlanApply(set, {Stored(1, set), Stored(2, other)}, {}, 0, {}).number == 3);
  }
}

TEST_CASE("config store: apply keeps the newest versions and prunes the rest",
          "[leader][config_store]") {
  std::vector<StoredVersion> stored;
  for (std::uint64_t n = 1; n <= 7; ++n) {
    stored.push_back(Stored(n, Set(std::string(kGood) + "# " + std::to_string(n) + "\n")));
  }
  ApplyPlan plan = PlanApply(Set(kGood), stored, {}, 0, {});
  REQUIRE(plan.kind == ApplyPlan::Kind::kStore);
  CHECK(plan.number == 8);
  // Kept: 4..7 and the new 8 (kKeptVersions = 5).
  REQUIRE(plan.prune.size() == 3);
  CHECK(plan.prune[0].number == 1);
  CHECK(plan.prune[2].number == 3);
  // Fewer than the bound: nothing pruned.
  stored.resize(4);
  CHECK(PlanApply(Set(kGood), stored, {}, 0, {}).prune.empty());
}

TEST_CASE("config store: which stored version an instance puts in force",
          "[leader][config_store]") {
  std::vector<StoredVersion> stored = {Stored(2, Set(kGood)), Stored(5, Set(kGood)),
                                       Stored(3, Set(kGood))};
  SECTION("nothing stored: the files") {
    CHECK(ChooseStored({}, 0, {}).kind == StoreChoice::Kind::kNone);
  }
  SECTION("the newest") {
    StoreChoice choice = ChooseStored(stored, 0, {});
    CHECK(choice.kind == StoreChoice::Kind::kLoad);
    CHECK(choice.version->number == 5);
    CHECK(ChooseStored(stored, 5, {}).kind == StoreChoice::Kind::kKeep);
    CHECK(ChooseStored(stored, 3, {}).version->number == 5);
  }
  SECTION("a refused newest: the one in force stays") {
    StoreChoice choice = ChooseStored(stored, 3, {5});
    CHECK(choice.kind == StoreChoice::Kind::kKeep);
    CHECK(choice.version->number == 3);
  }
  SECTION("a refused newest with nothing in force: the last good one") {
    StoreChoice choice = ChooseStored(stored, 0, {5});
    CHECK(choice.kind == StoreChoice::Kind::kLoad);
    CHECK(choice.version->number == 3);
    CHECK(choice.skipped == std::vector<std::uint64_t>{5});
  }
  SECTION("never back under the one in force") {
    CHECK(ChooseStored(stored, 4, {5}).kind == StoreChoice::Kind::kKeep);
  }
  SECTION("every version refused, nothing in force: the files") {
    CHECK(ChooseStored(stored, 0, {2, 3, 5}).kind == StoreChoice::Kind::kNone);
  }
}

TEST_CASE("config store: a stored version whose data is damaged is refused, naming it",
          "[leader][config_store]") {
  StoredVersion v = Stored(4, Set(kGood));
  CHECK(SetOfVersion(v).ok());
  StoredVersion not_base64 = v;
  not_base64.data = "***";
  CHECK_THAT(SetOfVersion(not_base64).status().message(),
             Catch::Contains("orcastra-config-v4") && Catch::Contains("base64"));
  StoredVersion tampered = v;
  tampered.data = Base64Encode(EncodeSet(Set("nodes: {}\n")));
  CHECK_THAT(SetOfVersion(tampered).status().message(), Catch::Contains("digest"));
}

TEST_CASE("config store: the diff shows the changed lines with context", "[leader][config_store]") {
  ConfigSet from = Set("a\nb\nc\nd\ne\nf\ng\n");
  ConfigSet to = Set("a\nb\nc\nD\ne\nf\ng\n", "default: {}\n");
  std::string diff = DiffSets(from, to, "swarm:v1", "/etc/orcastra");
  CHECK(diff ==
        "--- swarm:v1/rebalance_config.yml (absent)\n"
        "+++ /etc/orcastra/rebalance_config.yml\n"
        "@@ -1 +1 @@\n"
        "+default: {}\n"
        "--- swarm:v1/swarm.yml\n"
        "+++ /etc/orcastra/swarm.yml\n"
        "@@ -2 +2 @@\n"
        " b\n"
        " c\n"
        "-d\n"
        "+D\n"
        " e\n"
        " f\n");
  CHECK(DiffSets(from, from, "a", "b").empty());
  CHECK_THAT(DiffSets(Set("x\n"), Set("x"), "a", "b"), Catch::Contains("final newline"));
}

}  // namespace
}  // namespace orcastra::leader
