#include "leader/config_store/plan.h"

#include <openssl/sha.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/base64.h"
#include "common/strings.h"
#include "common/utf8.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

bool KnownName(std::string_view name) {
  for (const char* known : kStoredFileNames) {
    if (name == known) return true;
  }
  return false;
}

const std::string* Label(const ConfigObject& config, const char* key) {
  auto it = config.labels.find(key);
  return it == config.labels.end() ? nullptr : &it->second;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// A line diff of two small texts (LCS), as unified hunks with `context` lines around changes.
std::string LineDiff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  // The edit script: ' ' kept, '-' from a, '+' from b, with the line numbers of each side.
  struct Op {
    char kind;
    std::size_t ia, ib;
  };
  std::vector<Op> ops;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', i++, j});
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  constexpr std::size_t kContext = 2;
  std::string out;
  std::size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext kept lines before the change to kContext after the last change
    // that is no more than 2*kContext kept lines from the next.
    std::size_t start = k >= kContext ? k - kContext : 0;
    while (start < k && ops[start].kind != ' ') ++start;
    std::size_t end = k;
    std::size_t kept_run = 0;
    while (end < ops.size()) {
      if (ops[end].kind == ' ') {
        if (++kept_run > 2 * kContext) {
          ++end;  // `end` is exclusive, counting this kept line
          break;
        }
      } else {
        kept_run = 0;
      }
      ++end;
    }
    end = std::min(ops.size(), end - (kept_run > kContext ? kept_run - kContext : 0));
    out += "@@ -" + std::to_string(ops[start].ia + 1) + " +" + std::to_string(ops[start].ib + 1) +
           " @@\n";
    for (std::size_t x = start; x < end; ++x) {
      const Op& op = ops[x];
      out += op.kind;
      out += op.kind == '+' ? b[op.ib] : a[op.ia];
      out += '\n';
    }
    k = end;
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string EncodeSet(const ConfigSet& set) {
  json files = json::object();
  for (const auto& [name, text] : set.files) files[name] = ToValidUtf8(text);
  return DumpJson({{"format", 1}, {"files", files}});
}

Result<ConfigSet> DecodeSet(std::string_view data) {
  if (data.size() > kMaxStoredDataBytes) {
    return Status::ParseError("the data is " + std::to_string(data.size()) +
                              " bytes, more than Swarm's " + std::to_string(kMaxStoredDataBytes) +
                              "-byte limit");
  }
  json document = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Status::ParseError("the data is not JSON");
  if (!document.is_object()) return Status::ParseError("the data is not a JSON object");
  auto format = document.find("format");
  if (format == document.end() || !format->is_number_unsigned() || *format != 1) {
    return Status::ParseError("\"format\" is not 1 (written by another version of Orcastra?)");
  }
  auto files = document.find("files");
  if (files == document.end() || !files->is_object()) {
    return Status::ParseError("\"files\" is missing or not an object");
  }
  ConfigSet set;
  for (const auto& [name, text] : files->items()) {
    if (!KnownName(name)) {
      return Status::ParseError("\"files\": unknown file name '" + CutText(name, 64) +
                                "' (swarm.yml, nodes.yml, dependencies.yml, rebalance_config.yml)");
    }
    if (!text.is_string()) return Status::ParseError("\"files\"." + name + " is not a string");
    std::string content = text.get<std::string>();
    if (!IsValidUtf8(content)) {
      return Status::ParseError("\"files\"." + name + " is not valid UTF-8");
    }
    set.files[name] = std::move(content);
  }
  if (set.files.empty()) return Status::ParseError("\"files\" is empty");
  return set;
}

Result<ConfigSet> SetOfVersion(const StoredVersion& version) {
  if (version.data.size() > kMaxStoredDataBytes / 3 * 4 + 8) {
    return Status::ParseError(version.name + ": the data is larger than Swarm allows");
  }
  std::optional<std::string> bytes = Base64Decode(version.data);
  if (!bytes) return Status::ParseError(version.name + ": the data is not base64");
  if (!version.digest.empty() && Sha256Hex(*bytes) != version.digest) {
    return Status::ParseError(version.name + ": the data does not match its digest label");
  }
  auto set = DecodeSet(*bytes);
  if (!set.ok()) return Status::ParseError(version.name + ": " + set.status().message());
  return set;
}

Result<std::optional<StoredVersion>> VersionFromConfig(const ConfigObject& config) {
  std::string_view name = config.name;
  std::string_view prefix = kConfigObjectPrefix;
  if (name.substr(0, prefix.size()) != prefix) return std::optional<StoredVersion>();
  std::optional<std::uint64_t> number = ParseDecimal(name.substr(prefix.size()));
  const std::string* version_label = Label(config, kLabelVersion);
  if (!number || version_label == nullptr) return std::optional<StoredVersion>();
  auto bad = [&](const std::string& why) {
    return Status::ParseError("config '" + CutText(config.name, 64) + "': " + why);
  };
  if (ParseDecimal(*version_label) != number) {
    return bad("label " + std::string(kLabelVersion) + " '" + CutText(*version_label, 32) +
               "' is not its name's number");
  }
  if (*number == 0) return bad("version 0 is not a version");
  // One name per version: 'v03' would be a second object for version 3 beside 'v3', and the unique
  // name is what makes a store a compare-and-swap.
  if (name.substr(prefix.size()) != std::to_string(*number)) {
    return bad("the version in the name has leading zeros (" + std::string(kConfigObjectPrefix) +
               std::to_string(*number) + " is its name)");
  }
  StoredVersion v;
  v.id = config.id;
  v.name = config.name;
  v.number = *number;
  if (const std::string* at = Label(config, kLabelAppliedAt)) {
    auto parsed = ParseDecimal(*at);
    if (!parsed || *parsed > static_cast<std::uint64_t>(INT64_MAX)) {
      return bad("label " + std::string(kLabelAppliedAt) + " is not a number");
    }
    v.applied_at_ms = static_cast<std::int64_t>(*parsed);
  }
  if (const std::string* by = Label(config, kLabelAppliedBy)) v.by.name = CutText(*by, 128);
  if (const std::string* key = Label(config, kLabelAppliedByKey)) {
    v.by.public_key = CutText(*key, 64);
  }
  if (const std::string* via = Label(config, kLabelVia)) v.by.via = CutText(*via, 300);
  if (const std::string* digest = Label(config, kLabelDigest)) v.digest = CutText(*digest, 64);
  v.data = config.data;
  return std::optional<StoredVersion>(std::move(v));
}

config::LoadResult ValidateSet(const ConfigSet& set, const std::string& origin,
                               const config::Settings& settings) {
  config::Settings s = settings;
  s.paths = config::DefaultPaths(origin);
  config::ConfigSources sources;
  sources.paths = s.paths;
  sources.dir_exists = true;
  auto source = [&](const char* name,
                    const std::string& path) -> std::optional<config::SourceFile> {
    auto it = set.files.find(name);
    if (it == set.files.end()) return std::nullopt;
    return config::SourceFile{path, it->second};
  };
  sources.swarm = source("swarm.yml", s.paths.swarm_file);
  sources.nodes = source("nodes.yml", s.paths.nodes_file);
  sources.dependencies = source("dependencies.yml", s.paths.dependencies_file);
  sources.rebalance = source("rebalance_config.yml", s.paths.rebalance_file);
  for (const auto& [name, text] : set.files) {
    if (!KnownName(name)) {
      sources.read_errors.push_back({config::Severity::kError, origin + "/" + CutText(name, 64), 0,
                                     0, "", "not a configuration file the leader reads"});
    }
  }
  return config::LoadFromSources(sources, s);
}

ApplyPlan PlanApply(const ConfigSet& set, const std::vector<StoredVersion>& stored,
                    const AppliedBy& by, std::int64_t now_ms, const config::Settings& settings) {
  ApplyPlan plan;
  std::vector<StoredVersion> sorted = stored;
  std::sort(sorted.begin(), sorted.end(),
            [](const StoredVersion& a, const StoredVersion& b) { return a.number < b.number; });
  if (!sorted.empty()) plan.newest = sorted.back();
  const std::uint64_t number = sorted.empty() ? 1 : sorted.back().number + 1;
  config::LoadResult loaded =
      ValidateSet(set, std::string(kConfigObjectPrefix) + std::to_string(number), settings);
  plan.diagnostics = loaded.diagnostics;
  if (!loaded.ok()) {
    plan.refusal = "the configuration has " +
                   std::to_string(config::CountErrors(loaded.diagnostics)) +
                   " error(s); nothing was stored";
    return plan;
  }
  const std::string bytes = EncodeSet(set);
  if (bytes.size() > kMaxStoredDataBytes) {
    plan.refusal = "the configuration is " + std::to_string(bytes.size()) +
                   " bytes once encoded; Swarm keeps at most " +
                   std::to_string(kMaxStoredDataBytes) + " per config object; nothing was stored";
    return plan;
  }
  const std::string digest = Sha256Hex(bytes);
  if (plan.newest && plan.newest->digest == digest) {
    plan.kind = ApplyPlan::Kind::kUnchanged;
    plan.number = plan.newest->number;
    plan.name = plan.newest->name;
    return plan;
  }
  plan.kind = ApplyPlan::Kind::kStore;
  plan.number = number;
  plan.name = std::string(kConfigObjectPrefix) + std::to_string(number);
  plan.data = Base64Encode(bytes);
  plan.labels = {{kLabelVersion, std::to_string(number)},
                 {kLabelAppliedAt, std::to_string(std::max<std::int64_t>(0, now_ms))},
                 {kLabelAppliedBy, by.name},
                 {kLabelDigest, digest}};
  if (!by.public_key.empty()) plan.labels[kLabelAppliedByKey] = by.public_key;
  if (!by.via.empty()) plan.labels[kLabelVia] = by.via;
  // Keep the new one and the kKeptVersions - 1 newest before it.
  if (sorted.size() >= kKeptVersions) {
    plan.prune.assign(sorted.begin(), sorted.end() - (kKeptVersions - 1));
  }
  return plan;
}

StoreChoice ChooseStored(const std::vector<StoredVersion>& stored, std::uint64_t in_force,
                         const std::set<std::uint64_t>& refused) {
  StoreChoice choice;
  if (stored.empty()) return choice;
  std::vector<const StoredVersion*> sorted;
  for (const auto& v : stored) sorted.push_back(&v);
  std::sort(sorted.begin(), sorted.end(),
            [](const StoredVersion* a, const StoredVersion* b) { return a->number > b->number; });
  for (const StoredVersion* v : sorted) {
    if (v->number == in_force) {
      choice.kind = StoreChoice::Kind::kKeep;
      choice.version = *v;
      return choice;
    }
    if (!refused.contains(v->number)) {
      if (in_force != 0 && v->number < in_force) break;  // never go back under a good one
      choice.kind = StoreChoice::Kind::kLoad;
      choice.version = *v;
      return choice;
    }
    choice.skipped.push_back(v->number);
  }
  // Every version was refused (or only older ones remain under the one in force).
  choice.kind = in_force != 0 ? StoreChoice::Kind::kKeep : StoreChoice::Kind::kNone;
  if (in_force == 0) choice.skipped.clear();
  return choice;
}

std::string DiffSets(const ConfigSet& from, const ConfigSet& to, const std::string& from_label,
                     const std::string& to_label) {
  std::set<std::string> names;
  for (const auto& [name, text] : from.files) names.insert(name);
  for (const auto& [name, text] : to.files) names.insert(name);
  std::string out;
  for (const std::string& name : names) {
    auto a = from.files.find(name);
    auto b = to.files.find(name);
    if (a != from.files.end() && b != to.files.end() && a->second == b->second) continue;
    out += "--- " + from_label + "/" + name + (a == from.files.end() ? " (absent)" : "") + "\n";
    out += "+++ " + to_label + "/" + name + (b == to.files.end() ? " (absent)" : "") + "\n";
    std::vector<std::string> la =
        a == from.files.end() ? std::vector<std::string>() : Lines(a->second);
    std::vector<std::string> lb =
        b == to.files.end() ? std::vector<std::string>() : Lines(b->second);
    if (la.size() > kMaxDiffLines || lb.size() > kMaxDiffLines) {
      out += "changed: " + std::to_string(la.size()) + " lines -> " + std::to_string(lb.size()) +
             " lines (too long to compare line by line)\n";
      continue;
    }
    std::string diff = LineDiff(la, lb);
    // Same lines but different bytes (a final newline, \r): say so rather than print nothing.
    out += diff.empty() ? "changed: whitespace at line ends or the final newline\n" : diff;
  }
  return out;
}

}  // namespace orcastra::leader
