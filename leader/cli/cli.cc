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

std::string Fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
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
  for (const auto& node : nodes) {
    std::string role = Text(node.value("role", json()));
    const json& manager = node.value("manager", json());
    if (manager.is_object() && manager.value("leader", false)) role += " (leader)";
    const json& memory = node.value("memory", json::object());
    std::string memory_text = "-";
    if (memory.value("total_bytes", json()).is_number()) {
      memory_text = HumanBytes(memory["used_bytes"]) + "/" + HumanBytes(memory["total_bytes"]) +
                    " (" + Fixed(memory.value("used_percent", 0.0), 1) + "%)";
    }
    const json& pressure = node.value("pressure", json::object());
    std::string psi =
        pressure.value("present", false) ? Fixed(pressure.value("some_avg10", 0.0), 2) : "-";
    const json& agent = node.value("agent", json::object());
    std::string agent_text = "never";
    if (agent.value("last_seen_seconds", json()).is_number()) {
      agent_text = (agent.value("connected", false) ? "" : "lost, ") +
                   Fixed(agent["last_seen_seconds"].get<double>(), 0) + "s ago";
    }
    // How old the leader's service image references on that agent are (its GC needs them fresh).
    std::string refs_text = "-";
    if (agent.value("service_images_age_seconds", json()).is_number()) {
      refs_text = Fixed(agent["service_images_age_seconds"].get<double>(), 0) + "s old";
    }
    std::string labels;
    const json node_labels = node.value("labels", json::object());
    for (const auto& [key, value] : node_labels.items()) {
      if (!labels.empty()) labels += ",";
      labels += key + "=" + Text(value, "");
    }
    rows.push_back({Text(node.value("id", json())), Text(node.value("hostname", json())), role,
                    Text(node.value("state", json())), Text(node.value("availability", json())),
                    memory_text, psi, agent_text, refs_text, labels.empty() ? "-" : labels});
  }
  return Table(rows);
}

std::string RenderStatus(const json& status) {
  std::ostringstream out;
  const json& leader = status.value("leader", json());
  const json& answered = status.value("answered_by", json::object());
  if (leader.is_object()) {
    out << "Leader:      " << Text(leader.value("hostname", json())) << " ("
        << Text(leader.value("node_id", json())) << "), term " << Text(leader.value("term", json()))
        << "\n";
  } else {
    out << "Leader:      none known (no lease read yet)\n";
  }
  if (status.value("swarm_raft_leader", json()).is_string()) {
    out << "Swarm Raft:  " << Text(status["swarm_raft_leader"]) << " leads the managers\n";
  }
  out << "Answered by: " << Text(answered.value("hostname", json())) << " ("
      << (answered.value("active", false) ? "active" : "standby") << ")\n";
  const json& nodes = status.value("nodes", json::object());
  out << "Nodes:       " << nodes.value("total", 0) << " total, " << nodes.value("ready", 0)
      << " ready, " << nodes.value("down", 0) << " down";
  if (nodes.value("other", 0) > 0) out << ", " << nodes.value("other", 0) << " other";
  out << "\n";
  const json& managers = status.value("managers", json::object());
  out << "Managers:    " << managers.value("total", 0) << " total, "
      << managers.value("reachable", 0) << " reachable\n";
  const json& anchors = status.value("anchors", json());
  if (anchors.is_object()) {
    out << "Anchors:     " << anchors.value("total", 0) << " total, " << anchors.value("ok", 0)
        << " ok, " << anchors.value("violated", 0) << " violated"
        << (anchors.value("dry_run", false) ? " (DRY_RUN)" : "")
        << (anchors.value("paused", false) ? " (dependents paused)" : "") << "\n";
    if (anchors.value("config_problem", json()).is_string()) {
      out << "Config:      REFUSED, the previous one is in force:\n"
          << Text(anchors["config_problem"]) << "\n";
    }
  }
  const json& agents = status.value("agents", json::object());
  out << "Agents:      " << agents.value("connected", 0) << " of " << agents.value("expected", 0)
      << " connected\n";
  const json& docker = status.value("docker", json::object());
  out << "Docker:      " << (docker.value("ok", false) ? "ok" : "FAILING");
  if (docker.value("node_list_age_seconds", json()).is_number()) {
    out << ", node list " << Fixed(docker["node_list_age_seconds"].get<double>(), 1) << "s old";
  }
  if (docker.value("error", json()).is_string()) out << ", last error: " << Text(docker["error"]);
  out << "\n";
  const json& events = status.value("recent_events", json::array());
  if (!events.empty()) {
    out << "Recent events:\n";
    for (const auto& e : events) {
      out << "  " << Text(e.value("kind", json())) << " "
          << Text(e.value("subject", json())).substr(0, 12) << " "
          << Text(e.value("message", json()), "") << "\n";
    }
  }
  return out.str();
}

std::string RenderPlan(const json& plan) {
  std::ostringstream out;
  if (plan.value("dry_run", false))
    out << "DRY_RUN is on: the leader reports these, changes nothing.\n";
  if (plan.value("dependents_paused", false)) out << "Dependents are paused (pause_dependents).\n";
  if (!plan.value("from_active_leader", true)) {
    out << "Planned by a standby instance (its backoff memory is not the active leader's).\n";
  }
  const json& actions = plan.value("actions", json::array());
  if (actions.empty()) {
    out << "Nothing to do now.\n";
  } else {
    std::vector<std::vector<std::string>> rows = {{"ACTION", "TARGET", "DETAIL", "WHY"}};
    for (const auto& a : actions) {
      std::string why;
      for (const auto& line : a.value("why", json::array()))
        why += (why.empty() ? "" : "; ") + Text(line);
      rows.push_back({Text(a.value("kind", json())), Text(a.value("target", json())),
                      Text(a.value("detail", json())), why});
    }
    out << Table(rows);
  }
  for (const auto& w : plan.value("warnings", json::array())) out << "warning: " << Text(w) << "\n";
  return out.str();
}

std::string RenderAnchors(const json& anchors) {
  std::vector<std::vector<std::string>> rows = {
      {"ANCHOR / DEPENDENT", "STATE", "NODES", "RETRY", "DETAIL"}};
  auto nodes_text = [](const json& nodes) {
    std::string text;
    for (const auto& n : nodes) text += (text.empty() ? "" : ",") + Text(n);
    return text.empty() ? std::string("-") : text;
  };
  for (const auto& a : anchors) {
    rows.push_back({Text(a.value("service", json())) + " [" + Text(a.value("label", json())) + "]",
                    Text(a.value("state", json())), nodes_text(a.value("nodes", json::array())), "",
                    Text(a.value("detail", json()), "")});
    for (const auto& d : a.value("dependents", json::array())) {
      std::string retry;
      int attempts = d.value("attempts", 0);
      if (attempts > 0) retry = std::to_string(attempts) + " tried";
      if (d.value("retry_in_s", json()).is_number()) {
        retry += ", next in " + Fixed(d["retry_in_s"].get<double>(), 0) + "s";
      }
      rows.push_back({"  " + Text(d.value("service", json())), Text(d.value("state", json())),
                      nodes_text(d.value("nodes", json::array())), retry.empty() ? "-" : retry,
                      Text(d.value("detail", json()), "")});
    }
  }
  return Table(rows);
}

std::string RenderServices(const json& services) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "MODE", "REPLICAS", "NODES", "ROLE"}};
  for (const auto& s : services) {
    std::string replicas =
        s.value("running", json()).is_number()
            ? Text(s["running"]) + "/" + Text(s.value("replicas", json()), "global")
            : Text(s.value("replicas", json()), "global");
    std::string nodes;
    for (const auto& n : s.value("nodes", json::array()))
      nodes += (nodes.empty() ? "" : ",") + Text(n);
    rows.push_back({Text(s.value("name", json())), Text(s.value("mode", json())), replicas,
                    nodes.empty() ? "-" : nodes, Text(s.value("role", json()))});
  }
  return Table(rows);
}

namespace {

// One query to the leader at `endpoint`; the error says what failed.
Result<json> AskLeader(zmq::context_t& context, const std::string& endpoint,
                       const std::string& what, std::map<std::string, std::string> args,
                       std::chrono::milliseconds timeout) {
  protocol::Message request{{protocol::kMajorVersion, "", 1, 0},
                            protocol::Query{what, std::move(args)}};
  auto answer = protocol::Request(context, endpoint, request, timeout);
  if (!answer.ok()) return answer.status();
  if (const auto* error = std::get_if<protocol::Error>(&answer->body)) {
    return Status::Unavailable("the leader refused the query: " + error->message);
  }
  const auto* reply = std::get_if<protocol::Reply>(&answer->body);
  if (reply == nullptr) {
    return Status::Internal("unexpected '" + std::string(protocol::TypeName(answer->body)) +
                            "' answer from " + endpoint);
  }
  if (!reply->ok) return Status::Unavailable(reply->error);
  json result = json::parse(reply->result_json, nullptr, /*allow_exceptions=*/false);
  if (result.is_discarded()) return Status::ParseError("the leader's answer is not valid JSON");
  return result;
}

}  // namespace

std::string RenderEvents(const json& events) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) {
    std::time_t seconds = static_cast<std::time_t>(e.value("ts_ms", std::int64_t{0}) / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string node = e.value("hostname", json()).is_string() ? e["hostname"].get<std::string>()
                                                               : Text(e.value("node_id", json()));
    rows.push_back({when, node, Text(e.value("kind", json())),
                    Text(e.value("subject", json())).substr(0, 12),
                    Text(e.value("message", json()), "")});
  }
  return Table(rows);
}

Result<json> FetchEvents(zmq::context_t& context, const std::string& endpoint,
                         std::map<std::string, std::string> args, EventsCursor& cursor,
                         std::chrono::milliseconds timeout) {
  json all = json::array();
  for (int page = 0; page < kMaxEventPages; ++page) {
    args["after"] = std::to_string(cursor.after);
    auto result = AskLeader(context, endpoint, "events", args, timeout);
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

int RunQueryCommand(const std::string& command, const std::vector<std::string>& args,
                    const EnvLookup& env) {
  bool events = command == "events";
  FlagSpec spec{{"leader", "timeout"}, {"json"}};
  if (events) {
    spec.with_value.insert({"since", "node", "type"});
    spec.boolean.insert("follow");
  }
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    std::cerr << "orcastra " << command << ": " << problem << "\nusage: orcastra " << command
              << " [--json] [--leader tcp://HOST:PORT] [--timeout 5s]"
              << (events ? " [--since 10m] [--follow] [--node NODE] [--type KIND]" : "") << "\n";
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  if (!flags->positional.empty())
    return usage("unexpected argument '" + flags->positional.front() + "'");
  std::string endpoint =
      flags->Get("leader").value_or(env("ORCASTRA_LEADER").value_or(kDefaultControlEndpoint));
  auto timeout = ParseDurationIn(flags->Get("timeout").value_or("5s"), std::chrono::seconds(1),
                                 std::chrono::milliseconds(1), std::chrono::hours(1), "--timeout");
  if (!timeout.ok()) return usage(timeout.status().message());
  zmq::context_t context(1);
  if (!events) {
    auto result = AskLeader(context, endpoint, command, {}, *timeout);
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
      std::cout << RenderAnchors(result->value("anchors", json::array()));
    } else if (command == "services") {
      std::cout << RenderServices(result->value("services", json::array()));
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
    auto result = FetchEvents(context, endpoint, query_args, cursor, *timeout);
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
  FlagSpec spec{{"leader", "timeout", "container", "tail"}, {"json"}};
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    std::cerr << "orcastra logs: " << problem
              << "\nusage: orcastra logs NODE [--container NAME] [--tail 200] [--json] "
                 "[--leader tcp://HOST:PORT] [--timeout 15s]\n";
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  if (flags->positional.size() != 1) return usage("one NODE (hostname or node id)");
  std::map<std::string, std::string> query_args{{"node", flags->positional[0]}};
  if (auto container = flags->Get("container")) query_args["container"] = *container;
  if (auto tail = flags->Get("tail")) {
    auto parsed = ParseInt(*tail, 1, 10000, "--tail");
    if (!parsed.ok()) return usage(parsed.status().message());
    query_args["tail"] = std::to_string(*parsed);
  }
  std::string endpoint =
      flags->Get("leader").value_or(env("ORCASTRA_LEADER").value_or(kDefaultControlEndpoint));
  auto timeout = ParseDurationIn(flags->Get("timeout").value_or("15s"), std::chrono::seconds(1),
                                 std::chrono::milliseconds(1), std::chrono::hours(1), "--timeout");
  if (!timeout.ok()) return usage(timeout.status().message());
  zmq::context_t context(1);
  auto result = AskLeader(context, endpoint, "logs", query_args, *timeout);
  if (!result.ok()) {
    std::cerr << "orcastra logs: " << result.status().ToString() << "\n";
    return 1;
  }
  if (flags->Has("json")) {
    std::cout << DumpJson(*result, 2) << "\n";
  } else {
    std::cout << result->value("output", std::string());
  }
  return 0;
}

int RunCommandCommand(const std::vector<std::string>& args, const EnvLookup& env) {
  FlagSpec spec{{"leader", "timeout", "wait"}, {"json", "no-wait"}};
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    std::cerr << "orcastra command: " << problem
              << "\nusage: orcastra command NAME[:ARG] | NAME ARG [--leader tcp://HOST:PORT] "
                 "[--wait 30s | --no-wait] [--json]\n";
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  if (flags->positional.empty() || flags->positional.size() > 2) return usage("one command");
  std::string text = flags->positional[0];
  if (flags->positional.size() == 2) text += ":" + flags->positional[1];
  std::string endpoint =
      flags->Get("leader").value_or(env("ORCASTRA_LEADER").value_or(kDefaultControlEndpoint));
  auto timeout = ParseDurationIn(flags->Get("timeout").value_or("5s"), std::chrono::seconds(1),
                                 std::chrono::milliseconds(1), std::chrono::hours(1), "--timeout");
  if (!timeout.ok()) return usage(timeout.status().message());
  auto wait = ParseDurationIn(flags->Get("wait").value_or("30s"), std::chrono::seconds(1),
                              std::chrono::milliseconds(0), std::chrono::hours(1), "--wait");
  if (!wait.ok()) return usage(wait.status().message());

  SystemClock clock;
  std::int64_t since_ms = clock.WallMs() - 5000;  // tolerate small clock differences
  zmq::context_t context(1);
  auto accepted = AskLeader(context, endpoint, "command", {{"command", text}}, *timeout);
  if (!accepted.ok()) {
    std::cerr << "orcastra command: " << accepted.status().ToString() << "\n";
    return 1;
  }
  std::string id = Text(accepted->value("id", json()));
  if (flags->Has("no-wait")) {
    std::cout << "accepted as command " << id
              << "; its result goes to `orcastra events --type command`\n";
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + *wait;
  EventsCursor cursor;
  while (std::chrono::steady_clock::now() < deadline) {
    auto events = FetchEvents(context, endpoint,
                              {{"since_ms", std::to_string(since_ms)}, {"type", "command"}}, cursor,
                              *timeout);
    if (events.ok()) {
      for (const auto& e : *events) {
        const json& attrs = e.value("attrs", json::object());
        if (attrs.value("id", std::string()) != id || attrs.value("source", std::string()) != "cli")
          continue;
        std::string result = attrs.value("result", std::string());
        if (flags->Has("json")) {
          std::cout << DumpJson(e, 2) << "\n";
        } else {
          std::cout << text << ": " << result << "\n"
                    << Text(e.value("message", json()), "") << "\n";
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
