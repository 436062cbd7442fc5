// The safety record's JSON (leader/safety/codec.h): a round trip, and every hostile input refused
// with an error naming the field, never a crash or an exception.
#include "leader/safety/codec.h"

#include <catch2/catch.hpp>
#include <random>

namespace orcastra::leader {
namespace {

SafetyRecord Sample() {
  SafetyRecord record;
  record.dependents["st_app"] = {2, 1'700'000'065'000, 1'700'000'005'000};
  record.dependents["st_api"] = {0, std::nullopt, std::nullopt};
  record.pause = {true, "cli (command 7)", 1'700'000'000'000};
  return record;
}

Status Decode(const std::string& text) { return DecodeSafetyRecord(text, "test").status(); }

void Refused(const std::string& text, const std::string& mentions) {
  INFO(text.substr(0, 200));
  Status status = Decode(text);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains(mentions));
  CHECK_THAT(status.message(), Catch::StartsWith("test: "));
}

TEST_CASE("safety codec: a record survives a round trip", "[safety]") {
  auto text = EncodeSafetyRecord(Sample());
  REQUIRE(text.ok());
  auto back = DecodeSafetyRecord(*text, "test");
  REQUIRE(back.ok());
  CHECK(*back == Sample());
  // The empty record too.
  auto empty = EncodeSafetyRecord({});
  REQUIRE(empty.ok());
  CHECK(*DecodeSafetyRecord(*empty, "test") == SafetyRecord{});
}

TEST_CASE("safety codec: the written form", "[safety]") {
  SafetyRecord record;
  record.dependents["st_app"] = {1, 5, std::nullopt};
  CHECK(*EncodeSafetyRecord(record) ==
        R"({"dependents":{"st_app":{"attempts":1,"next_allowed_ms":5}},"format":1,)"
        R"("pause":{"at_ms":0,"by":"","paused":false}})");
}

TEST_CASE("safety codec: optional parts and unknown keys", "[safety]") {
  auto minimal = DecodeSafetyRecord(R"({"format": 1})", "test");
  REQUIRE(minimal.ok());
  CHECK(*minimal == SafetyRecord{});
  auto nulls = DecodeSafetyRecord(
      R"({"format":1,"dependents":{"a":{"attempts":3,"next_allowed_ms":null}},"later":[1,{"x":2}],)"
      R"("pause":{"paused":false,"extra":true}})",
      "test");
  REQUIRE(nulls.ok());
  CHECK(nulls->dependents.at("a") == DependentSafety{3, std::nullopt, std::nullopt});
}

TEST_CASE("safety codec: hostile input is refused, naming what is wrong", "[safety]") {
  Refused("", "not JSON");
  Refused("{", "not JSON");
  Refused("[]", "not a JSON object");
  Refused("null", "not a JSON object");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":1}}} trailing)", "not JSON");
  Refused("{\"format\":1,\"pause\":{\"paused\":true,\"by\":\"\xff\"}}", "not JSON");  // not UTF-8
  Refused(R"({"dependents":{}})", "'format' is missing");
  Refused(R"({"format":"1"})", "'format' is not an integer");
  Refused(R"({"format":1.0})", "'format' is not an integer");
  CHECK(Decode(R"({"format":2})").code() == Status::Code::kUnsupported);
  Refused(R"({"format":1,"format":1})", "duplicate key 'format'");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":1},"a":{"attempts":9}}})",
          "duplicate key 'a'");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":1,"attempts":0}}})",
          "duplicate key 'attempts'");
  Refused(R"({"format":1,"dependents":[]})", "'dependents' is not an object");
  Refused(R"({"format":1,"dependents":{"a":7}})", "'dependents.a' is not an object");
  Refused(R"({"format":1,"dependents":{"a":{}}})", "'dependents.a.attempts' is missing");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":-1}}})", "not within 0..1000000");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":1000001}}})", "not within");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":1.5}}})", "is not an integer");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":true}}})", "is not an integer");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":18446744073709551615}}})", "not within");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":18446744073709551616}}})",
          "is not an integer");  // too big for 64 bits: a float
  Refused(R"({"format":1,"dependents":{"a":{"attempts":1e400}}})", "not JSON");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":0,"next_allowed_ms":-5}}})",
          "'dependents.a.next_allowed_ms'");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":0,"next_allowed_ms":253402300800000}}})",
          "not within");
  Refused(R"({"format":1,"dependents":{"a":{"attempts":0,"last_force_update_ms":"now"}}})",
          "'dependents.a.last_force_update_ms' is not an integer");
  Refused(R"({"format":1,"dependents":{"":{"attempts":0}}})", "is not a service name");
  Refused(R"({"format":1,"dependents":{"a b":{"attempts":0}}})", "is not a service name");
  Refused(R"({"format":1,"dependents":{"a\"b":{"attempts":0}}})", "is not a service name");
  Refused(R"({"format":1,"dependents":{"caf\u00e9":{"attempts":0}}})", "is not a service name");
  Refused("{\"format\":1,\"dependents\":{\"" + std::string(256, 'a') + "\":{\"attempts\":0}}}",
          "is not a service name");
  Refused(R"({"format":1,"pause":true})", "'pause' is not an object");
  Refused(R"({"format":1,"pause":{}})", "'pause.paused' is missing");
  Refused(R"({"format":1,"pause":{"paused":1}})", "'pause.paused' is missing or not true/false");
  Refused(R"({"format":1,"pause":{"paused":true,"by":7}})", "'pause.by' is not a string");
  Refused(R"({"format":1,"pause":{"paused":true,"by":")" + std::string(257, 'x') + R"("}})",
          "'pause.by' is longer than 256 bytes");
  Refused(R"({"format":1,"pause":{"paused":true,"at_ms":-1}})", "'pause.at_ms'");
}

TEST_CASE("safety codec: size, entry count and depth are bounded", "[safety]") {
  Refused(std::string(kMaxSafetyRecordBytes + 1, ' '), "more than the 524288 a record may have");
  std::string many = R"({"format":1,"dependents":{)";
  for (std::size_t i = 0; i <= kMaxSafetyEntries; ++i) {
    many += (i ? "," : "") + std::string("\"s") + std::to_string(i) + "\":{\"attempts\":1}";
  }
  many += "}}";
  Refused(many, "has 1025 entries, more than 1024");
  Refused(R"({"format":1,"x":)" + std::string(10000, '[') + std::string(10000, ']') + "}",
          "nested deeper than 8 levels");
  Refused(std::string(200000, '['), "nested deeper");
}

TEST_CASE("safety codec: a record at every bound still fits", "[safety]") {
  SafetyRecord record;
  for (std::size_t i = 0; i < kMaxSafetyEntries; ++i) {
    std::string name = std::to_string(i);
    name += std::string(kMaxSafetyServiceNameBytes - name.size(), '_');
    record.dependents[name] = {kMaxSafetyAttempts, kMaxSafetyEpochMs, kMaxSafetyEpochMs};
  }
  record.pause = {true, std::string(kMaxSafetyPauseByBytes, 'b'), kMaxSafetyEpochMs};
  auto text = EncodeSafetyRecord(record);
  REQUIRE(text.ok());
  CHECK(text->size() < kMaxSafetyRecordBytes * 3 / 4);
  auto back = DecodeSafetyRecord(*text, "test");
  REQUIRE(back.ok());
  CHECK(*back == record);
}

TEST_CASE("safety codec: encoding refuses what decoding would", "[safety]") {
  SafetyRecord record = Sample();
  record.dependents["bad name"] = {};
  CHECK(EncodeSafetyRecord(record).status().code() == Status::Code::kInvalidArgument);
  record = Sample();
  record.dependents["st_app"].attempts = -1;
  CHECK_FALSE(EncodeSafetyRecord(record).ok());
  record = Sample();
  record.dependents["st_app"].next_allowed_ms = kMaxSafetyEpochMs + 1;
  CHECK_FALSE(EncodeSafetyRecord(record).ok());
  record = Sample();
  record.pause.by = "\xff";
  CHECK_FALSE(EncodeSafetyRecord(record).ok());
  record = Sample();
  for (std::size_t i = 0; i <= kMaxSafetyEntries; ++i) record.dependents["s" + std::to_string(i)];
  CHECK_FALSE(EncodeSafetyRecord(record).ok());
}

TEST_CASE("safety codec: mutated records decode or are refused, never throw", "[safety]") {
  const std::string valid = *EncodeSafetyRecord(Sample());
  std::mt19937 random(8);  // fixed seed: a failure is reproducible
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string alphabet = "{}[]\":,0123456789-.eE truefalsnul\\\xff\xc3";
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = valid;
    int edits = 1 + round % 4;
    for (int e = 0; e < edits; ++e) {
      std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = static_cast<char>(byte(random));
          break;
        case 1:
          text.insert(at, 1, alphabet[random() % alphabet.size()]);
          break;
        default:
          text.erase(at, 1 + random() % 8);
          break;
      }
      if (text.empty()) text = "{";
    }
    Result<SafetyRecord> result = Status::Internal("not run");
    REQUIRE_NOTHROW(result = DecodeSafetyRecord(text, "test"));
    if (result.ok()) {
      ++decoded;
      // Whatever decodes is within bounds: it encodes again.
      CHECK(EncodeSafetyRecord(*result).ok());
    }
  }
  CHECK(decoded > 0);  // some edits hit only values or unknown keys
}

}  // namespace
}  // namespace orcastra::leader
