#include "leader/cli/cli.h"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/utf8.h"
#include "leader/endpoints/forward.h"
#include "protocol/curve.h"
#include "protocol/keys.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

std::string Text(const json& value, const std::string& fallback = "-") {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return fallback;
  return DumpJson(value);
}

// Reading a leader's answer: a member that is absent or of another type than expected, or a
// document that is not an object, reads as absent (shown as "-" or a default), never as an
// exception. A leader of another version, a broken one or a hostile one cannot crash the CLI.
const json& Member(const json& object, std::string_view key) {
  static const json kAbsent;
  if (!object.is_object()) return kAbsent;
  const auto it = object.find(key);
  return it == object.end() ? kAbsent : *it;
}

// The elements of `value` when it is an array; none otherwise.
const json& Items(const json& value) {
  static const json kNone = json::array();
  return value.is_array() ? value : kNone;
}

double Number(const json& object, std::string_view key, double fallback) {
  const json& value = Member(object, key);
  return value.is_number() ? value.get<double>() : fallback;
}

bool Flag(const json& object, std::string_view key, bool fallback = false) {
  const json& value = Member(object, key);
  return value.is_boolean() ? value.get<bool>() : fallback;
}

// A count for a summary line: the number as the leader wrote it, "0" when there is none.
std::string Count(const json& object, std::string_view key) {
  const json& value = Member(object, key);
  return value.is_number() ? DumpJson(value) : "0";
}

std::string Fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

// At most `max_bytes` of the start of `text`, never ending inside a UTF-8 sequence.
std::string Prefix(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// Left-aligned columns separated by three spaces, like `docker node ls`.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out << line << '\n';
  }
  return out.str();
}

// "12m30s" for a number of seconds.
std::string Span(double seconds) {
  long long s = seconds > 0 ? static_cast<long long>(seconds) : 0;
  if (s >= 3600)
    return std::to_string(s / 3600) + "h" + (s % 3600 / 60 < 10 ? "0" : "") +
           std::to_string(s % 3600 / 60) + "m";
  if (s >= 60)
    return std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") + std::to_string(s % 60) + "s";
  return std::to_string(s) + "s";
}

std::string MoveLine(const json& m) {
  std::string deps;
  for (const auto& d : Items(Member(m, "dependents")))
    deps += (deps.empty() ? " with " : ",") + Text(d);
  return Text(Member(m, "service")) + deps + " " + Text(Member(m, "from")) + " -> " +
         Text(Member(m, "to")) + ": " + Text(Member(m, "outcome")) + " (" +
         Text(Member(m, "result"), "") + ")";
}

// The rebalancer's part of `status` (a summary) or of `plan` (nodes and candidates as tables).
void RenderRebalance(std::ostringstream& out, const json& r, bool full) {
  if (!r.is_object() || r.empty()) return;
  const json& counts = Member(r, "counts");
  out << "Rebalance:   ";
  if (full) {
    out << Text(Member(r, "decision"), "no decision") << "\n";
  } else if (!Flag(r, "enabled")) {
    out << "no configuration in force\n";
  } else {
    out << Count(counts, "high") << " of " << Count(counts, "nodes") << " nodes high, "
        << Count(counts, "sustained") << " sustained, " << Count(counts, "unknown") << " unknown; "
        << Items(Member(r, "in_flight")).size() << " move(s) in flight"
        << (Flag(r, "dry_run") ? " (dry run)" : "") << "\n";
    if (Member(r, "last_decision").is_string()) {
      out << "  last decision: " << Text(Member(r, "last_decision")) << "\n";
    }
  }
  std::vector<std::vector<std::string>> nodes = {
      {"  NODE", "PRESSURE", "USED", "PSI", "HIGH FOR", "WHY"}};
  for (const auto& n : Items(Member(r, "nodes"))) {
    if (!full && Text(Member(n, "pressure")) == "normal") continue;
    std::string high = Number(n, "high_for_s", 0) > 0 ? Span(Number(n, "high_for_s", 0)) + " of " +
                                                            Span(Number(n, "sustained_after_s", 0))
                                                      : "-";
    nodes.push_back(
        {"  " + Text(Member(n, "hostname")), Text(Member(n, "pressure")),
         Fixed(Number(n, "used_percent", 0), 1) + "%",
         Member(n, "psi_some_avg10").is_number() ? Fixed(Number(n, "psi_some_avg10", 0), 1) : "-",
         high, Text(Member(n, "why"), "")});
  }
  if (nodes.size() > 1) out << Table(nodes);
  if (full) {
    std::vector<std::vector<std::string>> rows = {
        {"  CANDIDATE", "NODE", "MEMORY", "TARGET", "VERDICT"}};
    for (const auto& c : Items(Member(r, "candidates"))) {
      std::string name = Text(Member(c, "service"));
      std::string deps;
      for (const auto& d : Items(Member(c, "dependents")))
        deps += (deps.empty() ? " + " : ",") + Text(d);
      rows.push_back({"  " + name + deps, Text(Member(c, "node")),
                      HumanBytes(Member(c, "memory_bytes")), Text(Member(c, "target")),
                      Text(Member(c, "why"), "")});
    }
    if (rows.size() > 1) out << Table(rows);
  }
  for (const auto& m : Items(Member(r, "in_flight"))) out << "  moving " << MoveLine(m) << "\n";
  if (full) {
    for (const auto& m : Items(Member(r, "recent"))) out << "  recent " << MoveLine(m) << "\n";
  }
}

}  // namespace

std::string HumanBytes(const json& bytes) {
  if (!bytes.is_number()) return "-";
  double value = bytes.get<double>();
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return Fixed(value, unit == 0 ? 0 : 1) + units[unit];
}

std::string RenderNodesTable(const json& nodes) {
  std::vector<std::vector<std::string>> rows = {{"ID", "HOSTNAME", "ROLE", "STATUS", "AVAILABILITY",
                                                 "MEMORY USED/TOTAL", "PSI10", "AGENT",
                                                 "IMAGE REFS", "LABELS"}};
  for (const auto& node : Items(nodes)) {
    std::string role = Text(Member(node, "role"));
    if (Flag(Member(node, "manager"), "leader")) role += " (leader)";
    const json& memory = Member(node, "memory");
    std::string memory_text = "-";
    if (Member(memory, "total_bytes").is_number()) {
      memory_text = HumanBytes(Member(memory, "used_bytes")) + "/" +
                    HumanBytes(Member(memory, "total_bytes")) + " (" +
                    Fixed(Number(memory, "used_percent", 0.0), 1) + "%)";
    }
    const json& pressure = Member(node, "pressure");
    std::string psi =
        Flag(pressure, "present") ? Fixed(Number(pressure, "some_avg10", 0.0), 2) : "-";
    const json& agent = Member(node, "agent");
    std::string agent_text = "never";
    if (Member(agent, "last_seen_seconds").is_number()) {
      agent_text = (Flag(agent, "connected") ? "" : "lost, ") +
                   Fixed(Number(agent, "last_seen_seconds", 0.0), 0) + "s ago";
    }
    if (Member(agent, "attestation_error").is_string()) {
      agent_text = "REFUSED: " + Prefix(Text(Member(agent, "attestation_error")), 60);
    }
    // How old the leader's service image references on that agent are (its GC needs them fresh).
    std::string refs_text = "-";
    if (Member(agent, "service_images_age_seconds").is_number()) {
      refs_text = Fixed(Number(agent, "service_images_age_seconds", 0.0), 0) + "s old";
    }
    std::string labels;
    const json& node_labels = Member(node, "labels");
    if (node_labels.is_object()) {
      for (const auto& [key, value] : node_labels.items()) {
        if (!labels.empty()) labels += ",";
        labels += key + "=" + Text(value, "");
      }
    }
    rows.push_back({Text(Member(node, "id")), Text(Member(node, "hostname")), role,
                    Text(Member(node, "state")), Text(Member(node, "availability")), memory_text,
                    psi, agent_text, refs_text, labels.empty() ? "-" : labels});
  }
  return Table(rows);
}

std::string RenderStatus(const json& status) {
  std::ostringstream out;
  const json& leader = Member(status, "leader");
  const json& answered = Member(status, "answered_by");
  if (leader.is_object()) {
    out << "Leader:      " << Text(Member(leader, "hostname")) << " ("
        << Text(Member(leader, "node_id")) << "), term " << Text(Member(leader, "term")) << "\n";
  } else {
    out << "Leader:      none known (no lease read yet)\n";
  }
  if (Member(status, "swarm_raft_leader").is_string()) {
    out << "Swarm Raft:  " << Text(Member(status, "swarm_raft_leader")) << " leads the managers\n";
  }
  out << "Answered by: " << Text(Member(answered, "hostname")) << " ("
      << (Flag(answered, "active") ? "active" : "standby") << ")\n";
  const json& nodes = Member(status, "nodes");
  out << "Nodes:       " << Count(nodes, "total") << " total, " << Count(nodes, "ready")
      << " ready, " << Count(nodes, "down") << " down";
  if (Number(nodes, "other", 0) > 0) out << ", " << Count(nodes, "other") << " other";
  out << "\n";
  const json& managers = Member(status, "managers");
  out << "Managers:    " << Count(managers, "total") << " total, " << Count(managers, "reachable")
      << " reachable\n";
  const json& anchors = Member(status, "anchors");
  if (anchors.is_object()) {
    out << "Anchors:     " << Count(anchors, "total") << " total, " << Count(anchors, "ok")
        << " ok, " << Count(anchors, "violated") << " violated"
        << (Flag(anchors, "dry_run") ? " (DRY_RUN)" : "")
        << (Flag(anchors, "paused") ? " (dependents paused)" : "") << "\n";
    if (Member(anchors, "config_problem").is_string()) {
      out << "Config:      REFUSED, the previous one is in force:\n"
          << Text(Member(anchors, "config_problem")) << "\n";
    }
  }
  const json& config = Member(status, "config");
  if (config.is_object() && !config.empty()) {
    const std::string source = Text(Member(config, "source"), "none");
    const std::string dir = Text(Member(config, "dir"));
    out << "Config:      ";
    if (source == "swarm") {
      const json& version = Member(config, "version");
      out << "stored in Swarm, " << Text(Member(version, "name")) << " (applied by '"
          << Text(Member(version, "applied_by")) << "')"
          << (Flag(config, "files_present") ? "; the files of " + dir + " are ignored" : "");
    } else if (source == "files") {
      out << "the files of " << dir << " (nothing stored in Swarm)";
    } else {
      out << "none in force (nothing stored in Swarm, no valid files in " << dir << ")";
    }
    out << "\n";
    if (!Text(Member(config, "store_problem"), "").empty()) {
      out << "             " << Text(Member(config, "store_problem")) << "\n";
    }
  }
  const json& heal = Member(status, "heal");
  if (heal.is_object() && Member(heal, "expected").is_number()) {
    out << "Healing:     " << Count(heal, "expected") << " nodes expected, "
        << Count(heal, "in_swarm") << " in the swarm, " << Count(heal, "phantoms") << " phantom, "
        << Count(heal, "down") << " down; managers " << Count(heal, "managers") << " (wanted "
        << (Member(heal, "managers_wanted").is_number() ? Text(Member(heal, "managers_wanted"))
                                                        : std::string("not set"))
        << ")" << (Flag(heal, "dry_run") ? " (DRY_RUN)" : "") << "\n";
    if (!Text(Member(heal, "blocked"), "").empty()) {
      out << "             nothing is done: " << Text(Member(heal, "blocked")) << "\n";
    } else if (!Text(Member(heal, "count_status"), "").empty()) {
      out << "             " << Text(Member(heal, "count_status")) << "\n";
    }
  }
  const json& agents = Member(status, "agents");
  out << "Agents:      " << Count(agents, "connected") << " of " << Count(agents, "expected")
      << " connected";
  if (Number(agents, "unattested", 0) > 0) {
    out << ", " << Count(agents, "unattested") << " refused (cannot prove their node: see nodes)";
  }
  out << "\n";
  const json& security = Member(status, "security");
  if (Text(Member(security, "mode"), "") == "insecure") {
    out << "Security:    INSECURE: plain text, no authentication (--insecure)\n";
  } else if (security.is_object()) {
    const json& clients = Member(security, "clients");
    const json& refused = Member(security, "refused");
    const json& connections = Member(security, "connections");
    out << "Security:    CURVE; keys: " << Count(clients, "agent") << " agent, "
        << Count(clients, "operator") << " operator, " << Count(clients, "read-only")
        << " read-only; refused: " << Count(connections, "not_admitted") << " connections ("
        << Count(refused, "unknown_key") << " unknown keys), " << Count(refused, "forbidden")
        << " forbidden, " << Count(refused, "not_attested") << " not attested, "
        << Count(refused, "rate_limited") << " over the rate\n";
  }
  const json& docker = Member(status, "docker");
  out << "Docker:      " << (Flag(docker, "ok") ? "ok" : "FAILING");
  if (Member(docker, "node_list_age_seconds").is_number()) {
    out << ", node list " << Fixed(Number(docker, "node_list_age_seconds", 0.0), 1) << "s old";
  }
  if (Member(docker, "error").is_string()) out << ", last error: " << Text(Member(docker, "error"));
  out << "\n";
  RenderRebalance(out, Member(status, "rebalance"), /*full=*/false);
  const json& events = Items(Member(status, "recent_events"));
  if (!events.empty()) {
    out << "Recent events:\n";
    for (const auto& e : events) {
      out << "  " << Text(Member(e, "kind")) << " " << Prefix(Text(Member(e, "subject")), 12) << " "
          << Text(Member(e, "message"), "") << "\n";
    }
  }
  return out.str();
}

std::string RenderPlan(const json& plan) {
  std::ostringstream out;
  if (Flag(plan, "dry_run")) out << "DRY_RUN is on: the leader reports these, changes nothing.\n";
  if (Flag(plan, "dependents_paused")) out << "Dependents are paused (pause_dependents).\n";
  if (!Flag(plan, "from_active_leader", true)) {
    out << "Planned by a standby instance (its backoff memory is not the active leader's).\n";
  }
  const json& actions = Items(Member(plan, "actions"));
  if (actions.empty()) {
    out << "Nothing to do now.\n";
  } else {
    std::vector<std::vector<std::string>> rows = {{"ACTION", "TARGET", "DETAIL", "WHY"}};
    for (const auto& a : actions) {
      std::string why;
      for (const auto& line : Items(Member(a, "why")))
        why += (why.empty() ? "" : "; ") + Text(line);
      rows.push_back(
          {Text(Member(a, "kind")), Text(Member(a, "target")), Text(Member(a, "detail")), why});
    }
    out << Table(rows);
  }
  for (const auto& w : Items(Member(plan, "warnings"))) out << "warning: " << Text(w) << "\n";
  RenderRebalance(out, Member(plan, "rebalance"), /*full=*/true);
  const json& heal = Member(plan, "heal");
  if (heal.is_object()) {
    out << "Healing:\n";
    const json& steps = Items(Member(heal, "actions"));
    if (!steps.empty()) {
      std::vector<std::vector<std::string>> rows = {{"ACTION", "NODE", "HOSTNAME", "WHY"}};
      for (const auto& a : steps) {
        rows.push_back({Text(Member(a, "action")), Prefix(Text(Member(a, "node_id")), 12),
                        Text(Member(a, "hostname")), Text(Member(a, "reason"))});
      }
      out << Table(rows);
    }
    if (!Text(Member(heal, "blocked"), "").empty()) {
      out << "  nothing is done: " << Text(Member(heal, "blocked")) << "\n";
    }
    if (!Text(Member(heal, "count_status"), "").empty()) {
      out << "  managers: " << Text(Member(heal, "count_status")) << "\n";
    }
    for (const auto& n : Items(Member(heal, "nodes"))) {
      out << "  " << Text(Member(n, "hostname")) << " (" << Prefix(Text(Member(n, "node_id")), 12)
          << ") " << Text(Member(n, "heal")) << ": " << Text(Member(n, "detail"), "") << "\n";
    }
    for (const auto& w : Items(Member(heal, "warnings"))) out << "  warning: " << Text(w) << "\n";
  }
  return out.str();
}

std::string RenderAnchors(const json& anchors) {
  std::vector<std::vector<std::string>> rows = {
      {"ANCHOR / DEPENDENT", "STATE", "NODES", "RETRY", "DETAIL"}};
  auto nodes_text = [](const json& nodes) {
    std::string text;
    for (const auto& n : Items(nodes)) text += (text.empty() ? "" : ",") + Text(n);
    return text.empty() ? std::string("-") : text;
  };
  for (const auto& a : Items(anchors)) {
    rows.push_back({Text(Member(a, "service")) + " [" + Text(Member(a, "label")) + "]",
                    Text(Member(a, "state")), nodes_text(Member(a, "nodes")), "",
                    Text(Member(a, "detail"), "")});
    for (const auto& d : Items(Member(a, "dependents"))) {
      std::string retry;
      const double attempts = Number(d, "attempts", 0);
      if (attempts > 0) retry = Count(d, "attempts") + " tried";
      if (Member(d, "retry_in_s").is_number()) {
        retry += ", next in " + Fixed(Number(d, "retry_in_s", 0.0), 0) + "s";
      }
      rows.push_back({"  " + Text(Member(d, "service")), Text(Member(d, "state")),
                      nodes_text(Member(d, "nodes")), retry.empty() ? "-" : retry,
                      Text(Member(d, "detail"), "")});
    }
  }
  return Table(rows);
}

std::string RenderServices(const json& services) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "MODE", "REPLICAS", "NODES", "ROLE"}};
  for (const auto& s : Items(services)) {
    std::string replicas =
        Member(s, "running").is_number()
            ? Text(Member(s, "running")) + "/" + Text(Member(s, "replicas"), "global")
            : Text(Member(s, "replicas"), "global");
    std::string nodes;
    for (const auto& n : Items(Member(s, "nodes"))) nodes += (nodes.empty() ? "" : ",") + Text(n);
    rows.push_back({Text(Member(s, "name")), Text(Member(s, "mode")), replicas,
                    nodes.empty() ? "-" : nodes, Text(Member(s, "role"))});
  }
  return Table(rows);
}

std::string RenderLogs(const json& logs) {
  const json& output = Member(logs, "output");
  return output.is_string() ? output.get<std::string>() : std::string();
}

LeaderAnswer AskLeaderOnce(zmq::context_t& context, const std::string& endpoint,
                           const protocol::ClientSecurity& security, const std::string& what,
                           std::map<std::string, std::string> args,
                           std::chrono::milliseconds timeout) {
  protocol::Message request{{protocol::kMajorVersion, "", 1, 0},
                            protocol::Query{what, std::move(args)}};
  auto answer = protocol::Request(context, endpoint, request, timeout, security);
  if (!answer.ok()) {
    const Status::Code code = answer.status().code();
    return {answer.status(), code == Status::Code::kTimeout || code == Status::Code::kUnavailable,
            false};
  }
  if (const auto* error = std::get_if<protocol::Error>(&answer->body)) {
    const std::string text =
        "the leader refused the query (" + error->code + "): " + error->message;
    if (error->code == protocol::kErrorForbidden) return {Status::PermissionDenied(text)};
    return {Status::Unavailable(text)};
  }
  const auto* reply = std::get_if<protocol::Reply>(&answer->body);
  if (reply == nullptr) {
    return {Status::Internal("unexpected '" + std::string(protocol::TypeName(answer->body)) +
                             "' answer from " + endpoint)};
  }
  if (!reply->ok) {
    json why = json::parse(reply->result_json, nullptr, /*allow_exceptions=*/false);
    const bool no_active = Text(Member(why, "reason"), "") == kNoActiveReason;
    return {Status::Unavailable(reply->error), false, no_active};
  }
  json result = json::parse(reply->result_json, nullptr, /*allow_exceptions=*/false);
  if (result.is_discarded()) return {Status::ParseError("the leader's answer is not valid JSON")};
  return {std::move(result)};
}

LeaderTarget TargetFor(const ParsedFlags& flags, const EnvLookup& env) {
  if (auto leader = flags.Get("leader")) return {*leader, "--leader"};
  if (auto named = env("ORCASTRA_LEADER"); named && !named->empty()) {
    return {*named, "ORCASTRA_LEADER"};
  }
  return {kDefaultControlEndpoint, "the default: this host's leader instance"};
}

Result<json> AskLeader(zmq::context_t& context, const LeaderTarget& target,
                       const protocol::ClientSecurity& security, const std::string& what,
                       const std::map<std::string, std::string>& args,
                       std::chrono::milliseconds timeout, const AskOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  bool said = false;
  while (true) {
    LeaderAnswer answer = AskLeaderOnce(context, target.endpoint, security, what, args, timeout);
    if (answer.unreachable) {
      LocalSwarmFacts facts = options.facts ? options.facts() : LocalSwarmFacts{};
      return Status::Unavailable(
          ExplainNoLeader(target.endpoint, target.source, answer.result.status(), facts));
    }
    if (!answer.no_active || std::chrono::steady_clock::now() >= deadline) {
      if (answer.no_active && options.wait.count() > 0) {
        return Status::Unavailable(answer.result.status().message() + " (waited " +
                                   std::to_string(options.wait.count() / 1000) +
                                   "s for an active instance: --wait)");
      }
      return std::move(answer.result);
    }
    if (!said && options.progress != nullptr) {
      *options.progress << "orcastra: waiting up to " << options.wait.count() / 1000
                        << "s for an active instance: " << answer.result.status().message() << "\n";
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

std::string RanOn(const json& answer) {
  const json& instance = Member(answer, "instance");
  std::string name = Text(Member(instance, "hostname"), "");
  if (name.empty()) name = Text(Member(instance, "node_id"), "an unnamed instance");
  std::string out =
      "'" + name + "' (" + (Flag(instance, "active") ? "the active instance" : "a standby") + ")";
  if (Member(answer, "forwarded_by").is_string()) {
    out += ", forwarded by '" + Text(Member(answer, "forwarded_by")) + "'";
  }
  return out;
}

AskOptions DefaultAskOptions(const EnvLookup& env, std::chrono::milliseconds wait) {
  AskOptions options;
  options.wait = wait;
  options.facts = [env] { return ReadLocalSwarmFacts(env); };
  options.progress = &std::cerr;
  return options;
}

std::string RenderEvents(const json& events) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : Items(events)) {
    // A time outside what gmtime can show (or none) prints as "-".
    std::string when = "-";
    const double ts_ms = Number(e, "ts_ms", 0);
    if (ts_ms >= 0 && ts_ms < 253'402'300'800'000.0) {  // before the year 10000
      std::time_t seconds = static_cast<std::time_t>(ts_ms / 1000);
      std::tm tm{};
      char text[32];
      if (gmtime_r(&seconds, &tm) != nullptr &&
          std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) {
        when = text;
      }
    }
    std::string node = Member(e, "hostname").is_string() ? Text(Member(e, "hostname"))
                                                         : Text(Member(e, "node_id"));
    rows.push_back({when, node, Text(Member(e, "kind")), Prefix(Text(Member(e, "subject")), 12),
                    Text(Member(e, "message"), "")});
  }
  return Table(rows);
}

Result<json> FetchEvents(zmq::context_t& context, const LeaderTarget& target,
                         const protocol::ClientSecurity& security,
                         std::map<std::string, std::string> args, EventsCursor& cursor,
                         std::chrono::milliseconds timeout, const AskOptions& options) {
  json all = json::array();
  for (int page = 0; page < kMaxEventPages; ++page) {
    args["after"] = std::to_string(cursor.after);
    auto result = AskLeader(context, target, security, "events", args, timeout, options);
    if (!result.ok()) return result.status();
    if (!result->is_object() || !result->value("events", json()).is_array() ||
        !result->value("cursor", json()).is_number_unsigned() ||
        !result->value("more", json()).is_boolean()) {
      return Status::ParseError(
          "the leader's answer to 'events' is not a page of events (is the leader older than "
          "this CLI?)");
    }
    const json& log_id = result->value("log_id", json());
    std::string id = log_id.is_string() ? log_id.get<std::string>() : std::string();
    if (id != cursor.log_id) {
      const bool was_reading = !cursor.log_id.empty() && cursor.after != 0;
      cursor.log_id = id;
      if (was_reading) {
        // Another log than the one we were reading (the leader restarted): read it from its start.
        cursor.after = 0;
        continue;
      }
    }
    for (const auto& event : (*result)["events"]) all.push_back(event);
    const auto next = (*result)["cursor"].get<std::uint64_t>();
    const bool more = (*result)["more"].get<bool>();
    if (more && next <= cursor.after) {
      return Status::Internal("the leader's event pages do not advance (cursor " +
                              std::to_string(next) + ")");
    }
    cursor.after = next;
    if (!more) return all;
  }
  return Status::Internal("the leader's event log did not end within " +
                          std::to_string(kMaxEventPages) + " pages");
}

Result<protocol::ClientSecurity> ClientSecurityFor(const ParsedFlags& flags, const EnvLookup& env) {
  protocol::ClientSecurity security;
  bool insecure = flags.Has("insecure");
  if (!insecure) {
    if (auto value = env("ORCASTRA_INSECURE"); value && !value->empty()) {
      auto parsed = ParseBool("ORCASTRA_INSECURE", *value);
      if (!parsed.ok()) return parsed.status();
      insecure = *parsed;
    }
  }
  if (insecure) {
    security.insecure = true;
    return security;
  }
  if (!protocol::CurveAvailable()) {
    return Status::Unsupported(
        "this libzmq was built without CURVE: it cannot talk to a leader securely (--insecure "
        "only works with a leader that runs --insecure)");
  }
  std::vector<std::string> candidates;
  if (auto explicit_key = flags.Get("key")) {
    candidates = {*explicit_key};
  } else {
    candidates = protocol::ClientKeyCandidates(env);
  }
  const bool chosen = candidates.size() == 1;  // --key or ORCASTRA_KEY: only that file
  for (const std::string& path : candidates) {
    std::string warning;
    auto key = protocol::LoadKeyFile(path, /*require_secret=*/true, &warning);
    if (!key.ok() && key.status().code() == Status::Code::kNotFound) {
      if (!chosen) continue;
      return Status::NotFound("no client key: " + key.status().message() + " (" +
                              (flags.Has("key") ? "--key" : "ORCASTRA_KEY") +
                              "); `orcastra keys init` makes keys (doc/security.md)");
    }
    if (!key.ok()) return key.status();
    if (!warning.empty()) std::cerr << "orcastra: warning: " << warning << "\n";
    if (key->leader_public_keys.empty()) {
      return Status::InvalidArgument("the key file '" + path +
                                     "' has no leader-public-key line: it cannot know the leader "
                                     "(doc/security.md)");
    }
    security.key = std::move(key).value();
    security.key_path = path;
    return security;
  }
  std::string looked;
  for (const std::string& path : candidates) looked += (looked.empty() ? "" : ", ") + path;
  return Status::NotFound(
      "no client key (looked for " + looked +
      "): put an operator or read-only key there (`orcastra keys init` makes them; "
      "deploy/quickstart installs the operator key in ~/.config/orcastra/client.key), set "
      "ORCASTRA_KEY or --key, or use --insecure with a leader that runs --insecure "
      "(doc/security.md)");
}

int RunQueryCommand(const std::string& command, const std::vector<std::string>& args,
                    const EnvLookup& env) {
  bool events = command == "events";
  FlagSpec spec{{"leader", "timeout", "key"}, {"json", "insecure"}};
  if (events) {
    spec.with_value.insert({"since", "node", "type"});
    spec.boolean.insert("follow");
  }
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    std::cerr << "orcastra " << command << ": " << problem << "\nusage: orcastra " << command
              << " [--json] [--leader tcp://HOST:PORT] [--timeout 5s] [--key FILE] [--insecure]"
              << (events ? " [--since 10m] [--follow] [--node NODE] [--type KIND]" : "") << "\n";
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  if (!flags->positional.empty())
    return usage("unexpected argument '" + flags->positional.front() + "'");
  auto security = ClientSecurityFor(*flags, env);
  if (!security.ok()) {
    std::cerr << "orcastra " << command << ": " << security.status().message() << "\n";
    return 2;
  }
  const LeaderTarget target = TargetFor(*flags, env);
  auto timeout = flags->Duration("timeout", "5s", std::chrono::milliseconds(1));
  if (!timeout.ok()) return usage(timeout.status().message());
  const AskOptions ask = DefaultAskOptions(env);
  zmq::context_t context(1);
  if (!events) {
    auto result = AskLeader(context, target, *security, command, {}, *timeout, ask);
    if (!result.ok()) {
      std::cerr << "orcastra " << command << ": " << result.status().ToString() << "\n";
      return 1;
    }
    if (flags->Has("json")) {
      std::cout << DumpJson(*result, 2) << "\n";
    } else if (command == "nodes") {
      std::cout << RenderNodesTable(*result);
    } else if (command == "plan") {
      std::cout << RenderPlan(*result);
    } else if (command == "anchors") {
      std::cout << RenderAnchors(Member(*result, "anchors"));
    } else if (command == "services") {
      std::cout << RenderServices(Member(*result, "services"));
    } else {
      std::cout << RenderStatus(*result);
    }
    return 0;
  }

  std::map<std::string, std::string> query_args;
  if (auto since = flags->Get("since")) {
    auto ago = ParseDuration(*since, std::chrono::seconds(1));
    if (!ago.ok()) return usage("--since: " + ago.status().message());
    SystemClock clock;
    query_args["since_ms"] =
        std::to_string(std::max<std::int64_t>(0, clock.WallMs() - ago->count()));
  }
  if (auto node = flags->Get("node")) query_args["node"] = *node;
  if (auto type = flags->Get("type")) query_args["type"] = *type;
  const bool follow = flags->Has("follow");
  EventsCursor cursor;
  while (true) {
    auto result = FetchEvents(context, target, *security, query_args, cursor, *timeout, ask);
    if (!result.ok()) {
      std::cerr << "orcastra " << command << ": " << result.status().ToString() << "\n";
      return 1;
    }
    if (flags->Has("json")) {
      if (follow) {
        for (const auto& e : *result) std::cout << DumpJson(e) << "\n";  // JSON lines
      } else {
        std::cout << DumpJson(*result, 2) << "\n";
      }
    } else {
      std::cout << RenderEvents(*result);
    }
    std::cout.flush();
    if (!follow) return 0;
    // From now on the cursor says where we are; the wall clock of senders does not matter.
    query_args.erase("since_ms");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int RunLogsCommand(const std::vector<std::string>& args, const EnvLookup& env) {
  FlagSpec spec{{"leader", "timeout", "container", "tail", "key"}, {"json", "insecure"}};
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    std::cerr << "orcastra logs: " << problem
              << "\nusage: orcastra logs NODE [--container NAME] [--tail 200] [--json] "
                 "[--leader tcp://HOST:PORT] [--timeout 15s] [--key FILE] [--insecure]\n";
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  auto security = ClientSecurityFor(*flags, env);
  if (!security.ok()) {
    std::cerr << "orcastra logs: " << security.status().message() << "\n";
    return 2;
  }
  if (flags->positional.size() != 1) return usage("one NODE (hostname or node id)");
  std::map<std::string, std::string> query_args{{"node", flags->positional[0]}};
  if (auto container = flags->Get("container")) query_args["container"] = *container;
  if (auto tail = flags->Get("tail")) {
    auto parsed = ParseInt(*tail, 1, 10000, "--tail");
    if (!parsed.ok()) return usage(parsed.status().message());
    query_args["tail"] = std::to_string(*parsed);
  }
  const LeaderTarget target = TargetFor(*flags, env);
  auto timeout = flags->Duration("timeout", "15s", std::chrono::milliseconds(1));
  if (!timeout.ok()) return usage(timeout.status().message());
  zmq::context_t context(1);
  auto result =
      AskLeader(context, target, *security, "logs", query_args, *timeout, DefaultAskOptions(env));
  if (!result.ok()) {
    std::cerr << "orcastra logs: " << result.status().ToString() << "\n";
    return 1;
  }
  if (flags->Has("json")) {
    std::cout << DumpJson(*result, 2) << "\n";
  } else {
    std::cout << RenderLogs(*result);
  }
  return 0;
}

int RunCommandCommand(const std::vector<std::string>& args, const EnvLookup& env) {
  FlagSpec spec{{"leader", "timeout", "wait", "key"}, {"json", "no-wait", "insecure"}};
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    std::cerr << "orcastra command: " << problem
              << "\nusage: orcastra command NAME[:ARG] | NAME ARG [--leader tcp://HOST:PORT] "
                 "[--wait 30s | --no-wait] [--json] [--key FILE] [--insecure]\n";
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  auto security = ClientSecurityFor(*flags, env);
  if (!security.ok()) {
    std::cerr << "orcastra command: " << security.status().message() << "\n";
    return 2;
  }
  if (flags->positional.empty() || flags->positional.size() > 2) return usage("one command");
  std::string text = flags->positional[0];
  if (flags->positional.size() == 2) text += ":" + flags->positional[1];
  const LeaderTarget target = TargetFor(*flags, env);
  auto timeout = flags->Duration("timeout", "5s", std::chrono::milliseconds(1));
  if (!timeout.ok()) return usage(timeout.status().message());
  auto wait = flags->Duration("wait", "30s", std::chrono::milliseconds(0));
  if (!wait.ok()) return usage(wait.status().message());

  SystemClock clock;
  std::int64_t since_ms = clock.WallMs() - 5000;  // tolerate small clock differences
  zmq::context_t context(1);
  // While no instance is active (an election), the command is asked again up to --wait.
  const AskOptions ask = DefaultAskOptions(env, *wait);
  auto accepted =
      AskLeader(context, target, *security, "command", {{"command", text}}, *timeout, ask);
  if (!accepted.ok()) {
    std::cerr << "orcastra command: " << accepted.status().ToString() << "\n";
    return 1;
  }
  std::string id = Text(Member(*accepted, "id"));
  const std::string ran_on = RanOn(*accepted);
  if (flags->Has("no-wait")) {
    std::cout << "accepted as command " << id << " by " << ran_on
              << "; its result goes to `orcastra events --type command`\n";
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + *wait;
  EventsCursor cursor;
  while (std::chrono::steady_clock::now() < deadline) {
    // The result is in the active instance's event log: a standby forwards the query there.
    auto events = FetchEvents(
        context, target, *security,
        {{"since_ms", std::to_string(since_ms)}, {"type", "command"}, {"instance", "active"}},
        cursor, *timeout, ask);
    if (events.ok()) {
      for (const auto& e : Items(*events)) {
        const json& attrs = Member(e, "attrs");
        if (Text(Member(attrs, "id"), "") != id || Text(Member(attrs, "source"), "") != "cli") {
          continue;
        }
        std::string result = Text(Member(attrs, "result"), "");
        if (flags->Has("json")) {
          json out = e;
          if (out.is_object()) out["ran_on"] = ran_on;
          std::cout << DumpJson(out, 2) << "\n";
        } else {
          std::cout << text << ": " << result << "\n"
                    << Text(Member(e, "message"), "") << "\nran on " << ran_on << "\n";
        }
        return result == "failed" ? 1 : 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::cerr << "orcastra command: accepted as command " << id << " but no result within "
            << wait->count() / 1000 << "s; see `orcastra events --type command`\n";
  return 1;
}

}  // namespace orcastra::leader
