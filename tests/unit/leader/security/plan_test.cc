// The leader's pure security decisions (leader/security/plan.h): ZAP, roles, rate limits.
#include "leader/security/plan.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using protocol::Role;
using std::chrono::milliseconds;

struct Keys {
  Keys() {
    agent = *protocol::NewKeyPair();
    op = *protocol::NewKeyPair();
    reader = *protocol::NewKeyPair();
    set.clients = {{Role::kAgent, agent.public_key, "agents", 1},
                   {Role::kOperator, op.public_key, "alice", 2},
                   {Role::kReadOnly, reader.public_key, "grafana", 3}};
  }
  protocol::KeyFile agent, op, reader;
  protocol::KeySet set;
};

ZapRequest CurveRequest(const std::string& z85_key, const std::string& domain = "control") {
  ZapRequest request;
  request.version = "1.0";
  request.request_id = "7";
  request.domain = domain;
  request.address = "198.51.100.51";
  request.mechanism = "CURVE";
  request.credentials = {*protocol::Z85Decode(z85_key)};
  return request;
}

TEST_CASE("zap: known keys are admitted with their role, name and the connection's serial",
          "[security]") {
  Keys keys;
  struct Case {
    std::string key;
    std::string domain;
    Role role;
    std::string name;
  };
  for (const Case& c : {Case{keys.agent.public_key, "agents", Role::kAgent, "agents"},
                        Case{keys.agent.public_key, "control", Role::kAgent, "agents"},
                        Case{keys.op.public_key, "control", Role::kOperator, "alice"},
                        Case{keys.op.public_key, "agents", Role::kOperator, "alice"},
                        Case{keys.reader.public_key, "control", Role::kReadOnly, "grafana"}}) {
    const ZapDecision d = DecideZap(CurveRequest(c.key, c.domain), keys.set, 42);
    INFO(c.name << " on " << c.domain);
    CHECK(d.admit);
    CHECK(d.status_code == "200");
    CHECK(d.role == c.role);
    CHECK(d.key_name == c.name);
    CHECK(d.user_id == std::string(protocol::RoleName(c.role)) + ":" + c.name + ":42");
    auto auth = PeerAuth::Parse(d.user_id);
    REQUIRE(auth.has_value());
    CHECK(auth->authenticated);
    CHECK(auth->role == c.role);
    CHECK(auth->key_name == c.name);
    CHECK(auth->serial == 42);
  }
}

TEST_CASE("zap: everything else is refused, and says why", "[security]") {
  Keys keys;
  const ZapDecision unknown =
      DecideZap(CurveRequest(protocol::NewKeyPair()->public_key), keys.set, 1);
  CHECK_FALSE(unknown.admit);
  CHECK(unknown.status_code == "400");
  CHECK(unknown.status_text == "unknown key");
  CHECK(unknown.user_id.empty());

  ZapRequest plain = CurveRequest(keys.op.public_key);
  plain.mechanism = "NULL";
  plain.credentials.clear();
  CHECK(DecideZap(plain, keys.set, 1).status_text == "CURVE required");
  ZapRequest no_key = CurveRequest(keys.op.public_key);
  no_key.credentials.clear();
  CHECK(DecideZap(no_key, keys.set, 1).status_text == "no client key");
  ZapRequest short_key = CurveRequest(keys.op.public_key);
  short_key.credentials = {"short"};
  CHECK(DecideZap(short_key, keys.set, 1).status_text == "no client key");
  CHECK_FALSE(DecideZap(CurveRequest(keys.op.public_key, "elsewhere"), keys.set, 1).admit);
  CHECK_FALSE(DecideZap(CurveRequest(keys.op.public_key, ""), keys.set, 1).admit);
  ZapRequest version = CurveRequest(keys.op.public_key);
  version.version = "2.0";
  CHECK(DecideZap(version, keys.set, 1).status_code == "500");
  // An empty key set admits nobody.
  CHECK_FALSE(DecideZap(CurveRequest(keys.op.public_key), protocol::KeySet{}, 1).admit);
}

TEST_CASE("zap: request frames", "[security]") {
  auto parsed = ParseZapRequest({"1.0", "1", "agents", "127.0.0.1", "", "CURVE", "k"});
  REQUIRE(parsed.ok());
  CHECK(parsed->domain == "agents");
  CHECK(parsed->credentials == std::vector<std::string>{"k"});
  CHECK(ParseZapRequest({"1.0", "1", "agents", "127.0.0.1", "", "NULL"})->credentials.empty());
  CHECK_FALSE(ParseZapRequest({"1.0"}).ok());
  CHECK_FALSE(ParseZapRequest({"1", "2", "3", "4", "5", "6", "7", "8"}).ok());
  CHECK_FALSE(ParseZapRequest({"1.0", "1", std::string(300, 'd'), "a", "", "CURVE"}).ok());
}

TEST_CASE("zap: user ids that are not ours do not parse", "[security]") {
  for (const char* text :
       {"", "agent", "agent:x", "agent::1", "root:x:1", "agent:x:", "agent:x:-1", "agent:x:1a"}) {
    INFO(text);
    CHECK_FALSE(PeerAuth::Parse(text).has_value());
  }
  // A name cannot hold ':' (the clients file refuses it), but the parser takes the last one.
  CHECK(PeerAuth::Parse("operator:a:b:7")->key_name == "a:b");
  CHECK(PeerAuth{true, Role::kReadOnly, "g", 3}.Describe() == "read-only key 'g'");
  CHECK(PeerAuth{}.Describe() == "a plain-text peer");
}

TEST_CASE("roles: what each role may send", "[security]") {
  const PeerAuth agent{true, Role::kAgent, "agents", 1};
  const PeerAuth op{true, Role::kOperator, "alice", 2};
  const PeerAuth reader{true, Role::kReadOnly, "grafana", 3};
  const PeerAuth plain{};
  auto query = [](const std::string& what) { return protocol::Body(protocol::Query{what, {}}); };
  const std::vector<protocol::Body> agent_types = {
      protocol::Hello{}, protocol::NodeReport{}, protocol::Event{}, protocol::AgentCommandResult{},
      protocol::JoinRequest{}};
  const std::vector<protocol::Body> server_types = {
      protocol::Reply{}, protocol::Welcome{}, protocol::AgentCommand{}, protocol::ServiceImages{},
      protocol::JoinAnswer{}};

  for (const auto& body : agent_types) {
    INFO(protocol::TypeName(body));
    CHECK(Permit(agent, body).ok());
    CHECK(Permit(op, body).code() == Status::Code::kPermissionDenied);
    CHECK(Permit(reader, body).code() == Status::Code::kPermissionDenied);
    CHECK(Permit(plain, body).ok());
  }
  for (const auto& body : server_types) {
    INFO(protocol::TypeName(body));
    CHECK_FALSE(Permit(agent, body).ok());
    CHECK_FALSE(Permit(op, body).ok());
    CHECK_FALSE(Permit(reader, body).ok());
  }
  for (const char* what :
       {"status", "nodes", "events", "anchors", "services", "plan", "config_show", "config_get"}) {
    INFO(what);
    CHECK(Permit(op, query(what)).ok());
    CHECK(Permit(reader, query(what)).ok());
    CHECK_FALSE(Permit(agent, query(what)).ok());
  }
  for (const char* what : {"command", "logs", "config_apply", "no-such-query", ""}) {
    INFO(what);
    CHECK(Permit(op, query(what)).ok());  // the operator gets "unknown query" for unknown ones
    CHECK(Permit(reader, query(what)).code() == Status::Code::kPermissionDenied);
    CHECK_FALSE(Permit(agent, query(what)).ok());
  }
  CHECK_THAT(Permit(reader, query("command")).message(),
             Catch::StartsWith("read-only key 'grafana' may not ask 'command'"));
  CHECK(Permit(agent, query("logs")).message() == "agent key 'agents' may not send query");
  // An error is never answered, whoever sends it.
  for (const PeerAuth& who : {agent, op, reader}) CHECK(Permit(who, protocol::Error{}).ok());
}

TEST_CASE("rate limit: a token bucket refills on the clock it is given", "[security]") {
  testing::FakeClock clock;
  TokenBucket bucket(3, 2, clock.Now());
  CHECK(bucket.Take(clock.Now()));
  CHECK(bucket.Take(clock.Now()));
  CHECK(bucket.Take(clock.Now()));
  CHECK_FALSE(bucket.Take(clock.Now()));
  clock.Advance(milliseconds(499));
  CHECK_FALSE(bucket.Take(clock.Now()));  // 0.998 tokens
  clock.Advance(milliseconds(1));
  CHECK(bucket.Take(clock.Now()));  // one token after 500 ms at 2/s
  CHECK_FALSE(bucket.Take(clock.Now()));
  clock.Advance(std::chrono::hours(1));
  CHECK(bucket.Available(clock.Now()) == Approx(3));  // never above the capacity
  // A clock that goes back gives nothing.
  TokenBucket late(1, 1, clock.Now());
  CHECK(late.Take(clock.Now()));
  CHECK_FALSE(late.Take(clock.Now() - std::chrono::seconds(10)));
}

TEST_CASE("rate limit: one bucket per key, bounded, least recently used evicted", "[security]") {
  testing::FakeClock clock;
  RateLimiter limiter({2, 1}, 3);
  CHECK(limiter.Allow("a", clock.Now()));
  CHECK(limiter.Allow("a", clock.Now()));
  CHECK_FALSE(limiter.Allow("a", clock.Now()));  // a is out
  CHECK(limiter.Allow("b", clock.Now()));        // b has its own bucket
  CHECK(limiter.Allow("c", clock.Now()));
  CHECK(limiter.size() == 3);
  CHECK_FALSE(limiter.Allow("a", clock.Now()));  // a is now the most recently used
  CHECK(limiter.Allow("d", clock.Now()));        // evicts b, the least recently used
  CHECK(limiter.size() == 3);
  // 10,000 keys: the table stays at its bound.
  for (int i = 0; i < 10000; ++i) (void)limiter.Allow("k" + std::to_string(i), clock.Now());
  CHECK(limiter.size() == 3);
  limiter.Forget("k9999");
  CHECK(limiter.size() == 2);
  limiter.Forget("never-seen");
  CHECK(limiter.size() == 2);
  // A flood from one key is held to the refill rate: a burst of 2, then 1/s (9 refills in the
  // 10 s from 0 to 9.999 s).
  RateLimiter one({2, 1}, 10);
  int allowed = 0;
  for (int i = 0; i < 10000; ++i) {
    if (one.Allow("flood", clock.Now())) ++allowed;
    clock.Advance(milliseconds(1));
  }
  CHECK(allowed == 2 + 9);
}

}  // namespace
}  // namespace orcastra::leader
