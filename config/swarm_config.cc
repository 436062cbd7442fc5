#include "config/swarm_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "config/schema.h"
#include "config/yaml_tree.h"

namespace orcastra::config {
namespace {

constexpr std::string_view kAnchorPlaceholder = "{anchor}";

// Where something was written, kept for the checks that span entries or files.
struct Where {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;
};

Where At(const SchemaChecker& checker, const YamlNode& node, std::string field) {
  return {checker.file(), node.line, node.column, std::move(field)};
}

struct AnchorSource {
  Where key;
  std::vector<Where> services;  // parallel to Anchor::services
};

struct LabelSource {
  std::string key;
  Where at;
};

bool HasSpace(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

bool IsIpAddress(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

std::pair<std::string, std::string> SplitLabel(const std::string& label) {
  auto eq = label.find('=');
  if (eq == std::string::npos) return {label, "true"};
  return {label.substr(0, eq), label.substr(eq + 1)};
}

// Builds one SwarmConfig from swarm.yml or from nodes.yml + dependencies.yml.
class SwarmBuilder {
 public:
  SwarmBuilder(const SwarmDefaults& defaults, std::vector<Diagnostic>* diagnostics)
      : defaults_(defaults), diagnostics_(diagnostics) {}

  // Reads a file's top level. `root` is nullopt when the file holds no document.
  // `with_dependencies`: swarm.yml (true) or nodes.yml (false).
  void ReadTop(const std::optional<YamlNode>& root, SchemaChecker& checker,
               bool with_dependencies) {
    if (!root || root->IsNull()) {
      EmptyFile(checker);
      return;
    }
    std::string expected = with_dependencies
                               ? "a map at the top level (nodes, options, dependencies, ...)"
                               : "a map at the top level (nodes, options, ...)";
    if (!checker.ExpectMap(*root, "", expected)) return;
    std::vector<std::string_view> known = {"nodes",        "options", "managers",
                                           "anchor_label", "leader",  "advertise_addr"};
    if (with_dependencies) known.push_back("dependencies");
    checker.WarnUnknownKeys(*root, "", known);
    checker.ForEachEntry(
        *root, "", [&](const std::string& key, const YamlEntry& entry, const std::string& field) {
          const YamlNode& value = entry.value;
          if (key == "nodes") {
            ReadNodes(value, checker, field);
          } else if (key == "options") {
            ReadOptions(value, checker, field);
          } else if (key == "dependencies" && with_dependencies) {
            ReadDependencies(value, checker, field);
          } else if (key == "managers") {
            if (auto n = checker.Integer(value, field)) {
              if (*n < 1 || *n % 2 == 0 || *n > 99) {
                checker.Error(
                    value, field,
                    "must be an odd number from 1 to 99 (a quorum needs a majority), got " +
                        std::to_string(*n));
              } else {
                config.managers = static_cast<int>(*n);
              }
            }
          } else if (key == "anchor_label") {
            if (auto format = checker.String(value, field)) {
              if (format->find(kAnchorPlaceholder) == std::string::npos) {
                checker.Error(value, field,
                              "must contain the placeholder \"{anchor}\", got \"" + *format + "\"");
              } else if (HasSpace(*format) || format->find('=') != std::string::npos) {
                checker.Error(value, field,
                              "\"" + *format + "\" is not a valid label key (no spaces or \"=\")");
              } else {
                config.anchor_label = *format;
              }
            }
          } else if (key == "leader") {
            if (auto v = checker.String(value, field)) config.leader = *v;
          } else if (key == "advertise_addr") {
            if (auto v = checker.String(value, field)) config.advertise_addr = *v;
          }
        });
  }

  // Reads the anchors of dependencies.yml (at its top level).
  void ReadDependenciesFile(const std::optional<YamlNode>& root, SchemaChecker& checker) {
    if (!root || root->IsNull()) {
      EmptyFile(checker);
      return;
    }
    ReadDependencies(*root, checker, "");
  }

  // The checks that need every anchor and node: dependents shared by two anchors, anchors that
  // depend on themselves (directly or through a cycle), static labels that are anchor labels.
  void CrossCheck() {
    struct Owner {
      std::size_t anchor;
      Where at;
    };
    std::map<std::string, Owner> owner;  // "stack/service" -> the anchor that lists it
    std::map<std::string, std::size_t> anchor_index;
    for (std::size_t a = 0; a < config.dependencies.size(); ++a) {
      anchor_index.emplace(QualifiedName(config.dependencies[a], config.dependencies[a].name), a);
    }
    for (std::size_t a = 0; a < config.dependencies.size(); ++a) {
      const Anchor& anchor = config.dependencies[a];
      for (std::size_t s = 0; s < anchor.services.size(); ++s) {
        const std::string& service = anchor.services[s];
        const Where& at = anchor_sources_[a].services[s];
        if (service == anchor.name) {
          Report(at, "anchor \"" + anchor.name + "\" lists itself as its own dependent");
          continue;
        }
        std::string qualified = QualifiedName(anchor, service);
        auto [it, inserted] = owner.emplace(qualified, Owner{a, at});
        if (inserted) continue;
        const Anchor& first = config.dependencies[it->second.anchor];
        std::string where = it->second.at.file == at.file
                                ? "line " + std::to_string(it->second.at.line)
                                : it->second.at.file + ":" + std::to_string(it->second.at.line);
        if (it->second.anchor == a) {
          Report(at, "service \"" + service + "\" is listed twice (first at " + where + ")");
        } else {
          Report(at, "service \"" + service + "\" is already a dependent of anchor \"" +
                         first.name + "\" (" + where + ")");
        }
      }
    }
    // An anchor's anchor is the owner of its name; follow owners to find cycles.
    for (std::size_t a = 0; a < config.dependencies.size(); ++a) {
      const Anchor& start = config.dependencies[a];
      std::vector<std::size_t> walk = {a};
      std::size_t current = a;
      while (true) {
        auto it = owner.find(
            QualifiedName(config.dependencies[current], config.dependencies[current].name));
        if (it == owner.end() || it->second.anchor == current) break;
        current = it->second.anchor;
        if (current == a) {
          // Report each cycle once, at the anchor of the cycle that comes first in the file.
          if (*std::min_element(walk.begin(), walk.end()) != a) break;
          // walk holds a, then the anchor of a, ...; reversed it reads "anchor -> dependent".
          std::string chain = start.name;
          for (std::size_t i = walk.size(); i-- > 1;) {
            chain += " -> " + config.dependencies[walk[i]].name;
          }
          chain += " -> " + start.name;
          Report(anchor_sources_[a].key,
                 "dependency cycle: " + chain + " (\"->\" reads \"has the dependent\")");
          break;
        }
        if (std::find(walk.begin(), walk.end(), current) != walk.end()) break;
        walk.push_back(current);
      }
    }
    for (const auto& label : label_sources_) {
      for (const auto& anchor : config.dependencies) {
        if (label.key == config.AnchorLabelKey(anchor.name)) {
          Report(label.at, "label \"" + label.key + "\" is the label of anchor \"" + anchor.name +
                               "\", which Orcastra moves to the anchor's node; it cannot be a "
                               "static label");
        }
      }
    }
  }

  SwarmConfig config;

 private:
  std::string QualifiedName(const Anchor& anchor, const std::string& service) const {
    return anchor.stack.value_or(defaults_.default_stack) + "/" + service;
  }

  void Report(const Where& at, std::string message) {
    diagnostics_->push_back(
        {Severity::kError, at.file, at.line, at.column, at.field, std::move(message)});
  }

  void EmptyFile(const SchemaChecker& checker) {
    diagnostics_->push_back({Severity::kError, checker.file(), 0, 0, "",
                             "the file is empty (a file being written, or truncated?); write "
                             "{} for a deliberately empty one"});
  }

  void ReadOptions(const YamlNode& value, SchemaChecker& checker, const std::string& field) {
    if (value.IsNull()) return;
    if (!checker.ExpectMap(value, field, "a map (prune_unknown_labels)")) return;
    checker.WarnUnknownKeys(value, field, {"prune_unknown_labels"});
    if (const YamlNode* prune = value.Find("prune_unknown_labels")) {
      if (auto b = checker.Bool(*prune, FieldPath(field, "prune_unknown_labels"))) {
        config.options.prune_unknown_labels = *b;
      }
    }
  }

  void ReadNodes(const YamlNode& value, SchemaChecker& checker, const std::string& field) {
    if (value.IsNull()) return;
    if (!checker.ExpectMap(value, field, "a map of hostnames (HOST: {ip, labels, role})")) {
      return;
    }
    checker.ForEachEntry(
        value, field,
        [&](const std::string& host, const YamlEntry& entry, const std::string& host_field) {
          if (host.empty() || HasSpace(host)) {
            checker.Error(entry.key, host_field,
                          host.empty() ? "hostname must not be empty"
                                       : "\"" + host + "\" is not a valid hostname (no spaces)");
            return;
          }
          NodeSpec node;
          node.hostname = host;
          ReadNode(entry.value, checker, host_field, &node);
          config.nodes[host] = std::move(node);
        });
  }

  void ReadNode(const YamlNode& value, SchemaChecker& checker, const std::string& field,
                NodeSpec* node) {
    if (value.IsNull()) return;  // an expected node with nothing else to say
    if (!checker.ExpectMap(value, field, "a map (ip, labels, role)")) return;
    checker.WarnUnknownKeys(value, field, {"ip", "labels", "role"});
    if (const YamlNode* ip = value.Find("ip")) {
      std::string ip_field = FieldPath(field, "ip");
      if (auto text = checker.String(*ip, ip_field)) {
        if (IsIpAddress(*text)) {
          node->ip = *text;
        } else {
          checker.Error(*ip, ip_field, "\"" + *text + "\" is not an IPv4 or IPv6 address");
        }
      }
    }
    if (const YamlNode* role = value.Find("role")) {
      std::string role_field = FieldPath(field, "role");
      if (auto text = checker.String(*role, role_field)) {
        if (*text == "manager") {
          node->role = NodeRole::kManager;
        } else if (*text == "worker") {
          node->role = NodeRole::kWorker;
        } else {
          checker.Error(*role, role_field,
                        "expected \"manager\" or \"worker\", got \"" + *text + "\"");
        }
      }
    }
    if (const YamlNode* labels = value.Find("labels")) {
      ReadLabels(*labels, checker, FieldPath(field, "labels"), node);
    }
  }

  void ReadLabels(const YamlNode& value, SchemaChecker& checker, const std::string& field,
                  NodeSpec* node) {
    if (value.IsNull()) return;
    if (!checker.ExpectList(value, field, "a list of labels ([zfs, ssd, zone=eu])")) return;
    std::map<std::string, std::pair<std::string, int>> seen;  // key -> value, line
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      const YamlNode& item = value.items[i];
      std::string item_field = ItemPath(field, i);
      auto label = checker.String(item, item_field);
      if (!label) continue;
      if (label->empty()) {
        checker.Error(item, item_field, "label must not be empty");
        continue;
      }
      if (HasSpace(*label)) {
        checker.Error(item, item_field, "\"" + *label + "\" is not a valid label (no spaces)");
        continue;
      }
      auto [key, label_value] = SplitLabel(*label);
      if (key.empty()) {
        checker.Error(item, item_field, "\"" + *label + "\" has an empty label key");
        continue;
      }
      auto [it, inserted] = seen.emplace(key, std::make_pair(label_value, item.line));
      if (!inserted) {
        if (it->second.first == label_value) {
          checker.Warning(item, item_field, "label \"" + key + "\" is listed twice");
        } else {
          checker.Error(item, item_field,
                        "label \"" + key + "\" is set twice with different values (\"" +
                            it->second.first + "\" and \"" + label_value + "\")");
        }
        continue;
      }
      node->labels.push_back(*label);
      label_sources_.push_back({key, At(checker, item, item_field)});
    }
  }

  void ReadDependencies(const YamlNode& value, SchemaChecker& checker, const std::string& field) {
    if (value.IsNull()) return;
    if (!checker.ExpectMap(value, field,
                           "a map of anchors (ANCHOR: {services: [...]} or ANCHOR: [...])")) {
      return;
    }
    checker.ForEachEntry(
        value, field,
        [&](const std::string& name, const YamlEntry& entry, const std::string& anchor_field) {
          std::string problem = ServiceNameProblem(name);
          if (!problem.empty()) {
            checker.Error(entry.key, anchor_field, "anchor name " + problem);
            return;
          }
          ReadAnchor(name, entry, checker, anchor_field);
        });
  }

  void ReadAnchor(const std::string& name, const YamlEntry& entry, SchemaChecker& checker,
                  const std::string& field) {
    Anchor anchor;
    anchor.name = name;
    anchor.restart_dependents = defaults_.restart_dependents;
    AnchorSource source{At(checker, entry.key, field), {}};
    const YamlNode& value = entry.value;
    if (value.IsSequence()) {
      anchor.list_form = true;
      ReadServices(value, checker, field, &anchor, &source);
    } else if (value.IsMap()) {
      checker.WarnUnknownKeys(
          value, field,
          {"stack", "restart_dependents", "retry_intervals", "services", "manage_constraints"});
      checker.ForEachEntry(
          value, field,
          [&](const std::string& key, const YamlEntry& e, const std::string& key_field) {
            if (key == "stack") {
              if (auto stack = checker.String(e.value, key_field)) {
                std::string problem = ServiceNameProblem(*stack);
                if (problem.empty()) {
                  anchor.stack = *stack;
                } else {
                  checker.Error(e.value, key_field, "stack name " + problem);
                }
              }
            } else if (key == "restart_dependents") {
              if (auto b = checker.Bool(e.value, key_field)) anchor.restart_dependents = *b;
            } else if (key == "manage_constraints") {
              if (auto b = checker.Bool(e.value, key_field)) anchor.manage_constraints = *b;
            } else if (key == "retry_intervals") {
              ReadRetryIntervals(e.value, checker, key_field, &anchor);
            } else if (key == "services") {
              ReadServices(e.value, checker, key_field, &anchor, &source);
            }
          });
      if (value.Find("services") == nullptr) {
        checker.Error(entry.key, field,
                      "missing required key \"services\" (the dependents of this anchor)");
      }
    } else {
      checker.Error(value, field,
                    "expected a map (stack, restart_dependents, retry_intervals, services) or a "
                    "list of dependents, got " +
                        DescribeNode(value));
      return;
    }
    config.dependencies.push_back(std::move(anchor));
    anchor_sources_.push_back(std::move(source));
  }

  void ReadRetryIntervals(const YamlNode& value, SchemaChecker& checker, const std::string& field,
                          Anchor* anchor) {
    if (!checker.ExpectList(value, field, "a list of seconds ([2, 10, 60, 300, 900])")) return;
    if (value.items.empty()) {
      checker.Error(value, field, "must not be empty (it is the backoff schedule)");
      return;
    }
    std::vector<std::chrono::seconds> intervals;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      std::string item_field = ItemPath(field, i);
      auto seconds = checker.Integer(value.items[i], item_field);
      if (!seconds) continue;
      if (*seconds <= 0) {
        checker.Error(value.items[i], item_field,
                      "must be a positive number of seconds, got " + std::to_string(*seconds));
        continue;
      }
      intervals.push_back(std::chrono::seconds(*seconds));
    }
    anchor->retry_intervals = std::move(intervals);
  }

  void ReadServices(const YamlNode& value, SchemaChecker& checker, const std::string& field,
                    Anchor* anchor, AnchorSource* source) {
    if (!checker.ExpectList(value, field, "a list of dependent services")) return;
    if (value.items.empty()) {
      checker.Warning(value, field, "anchor \"" + anchor->name + "\" has no dependents");
    }
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      const YamlNode& item = value.items[i];
      std::string item_field = ItemPath(field, i);
      auto service = checker.String(item, item_field);
      if (!service) continue;
      std::string problem = ServiceNameProblem(*service);
      if (!problem.empty()) {
        checker.Error(item, item_field, "service name " + problem);
        continue;
      }
      anchor->services.push_back(*service);
      source->services.push_back(At(checker, item, item_field));
    }
  }

  SwarmDefaults defaults_;
  std::vector<Diagnostic>* diagnostics_;
  std::vector<AnchorSource> anchor_sources_;  // parallel to config.dependencies
  std::vector<LabelSource> label_sources_;
};

SwarmParse Finish(SwarmBuilder* builder, std::vector<Diagnostic> diagnostics) {
  SwarmParse result;
  if (!HasErrors(diagnostics)) result.config = std::move(builder->config);
  SortByPosition(&diagnostics);
  result.diagnostics = std::move(diagnostics);
  return result;
}

}  // namespace

std::string_view NodeRoleName(NodeRole role) {
  return role == NodeRole::kManager ? "manager" : "worker";
}

std::map<std::string, std::string> NodeSpec::LabelMap() const {
  std::map<std::string, std::string> out;
  for (const auto& label : labels) out.insert(SplitLabel(label));
  return out;
}

const Anchor* SwarmConfig::FindAnchor(std::string_view name) const {
  for (const auto& anchor : dependencies) {
    if (anchor.name == name) return &anchor;
  }
  return nullptr;
}

std::string SwarmConfig::AnchorLabelKey(std::string_view anchor) const {
  std::string key = anchor_label;
  for (auto pos = key.find(kAnchorPlaceholder); pos != std::string::npos;
       pos = key.find(kAnchorPlaceholder, pos + anchor.size())) {
    key.replace(pos, kAnchorPlaceholder.size(), anchor);
  }
  return key;
}

std::string FullServiceName(const std::string& stack, const std::string& name) {
  return stack.empty() ? name : stack + "_" + name;
}

std::string AnchorConstraint(const std::string& label_key) {
  return "node.labels." + label_key + "==true";
}

bool HasAnchorConstraint(const std::vector<std::string>& constraints,
                         const std::string& label_key) {
  const std::string wanted = AnchorConstraint(label_key);
  return std::any_of(constraints.begin(), constraints.end(), [&](const std::string& c) {
    std::string compact;
    for (char ch : c) {
      if (!std::isspace(static_cast<unsigned char>(ch))) compact += ch;
    }
    return compact == wanted;
  });
}

std::size_t SwarmConfig::DependentCount() const {
  std::size_t count = 0;
  for (const auto& anchor : dependencies) count += anchor.services.size();
  return count;
}

SwarmParse ParseSwarmYaml(std::string_view text, const std::string& file,
                          const SwarmDefaults& defaults) {
  YamlParse yaml = ParseYaml(text, file);
  std::vector<Diagnostic> diagnostics = yaml.diagnostics;
  SwarmBuilder builder(defaults, &diagnostics);
  if (yaml.syntax_ok) {
    SchemaChecker checker(file, &diagnostics);
    builder.ReadTop(yaml.root, checker, /*with_dependencies=*/true);
    builder.CrossCheck();
  }
  return Finish(&builder, std::move(diagnostics));
}

SwarmParse ParseSplitSwarmYaml(const std::optional<SplitFile>& nodes_yml,
                               const std::optional<SplitFile>& dependencies_yml,
                               const SwarmDefaults& defaults) {
  std::vector<Diagnostic> diagnostics;
  SwarmBuilder builder(defaults, &diagnostics);
  bool all_parsed = true;
  if (nodes_yml) {
    YamlParse yaml = ParseYaml(nodes_yml->text, nodes_yml->file);
    diagnostics.insert(diagnostics.end(), yaml.diagnostics.begin(), yaml.diagnostics.end());
    if (yaml.syntax_ok) {
      SchemaChecker checker(nodes_yml->file, &diagnostics);
      builder.ReadTop(yaml.root, checker, /*with_dependencies=*/false);
    } else {
      all_parsed = false;
    }
  }
  if (dependencies_yml) {
    YamlParse yaml = ParseYaml(dependencies_yml->text, dependencies_yml->file);
    diagnostics.insert(diagnostics.end(), yaml.diagnostics.begin(), yaml.diagnostics.end());
    if (yaml.syntax_ok) {
      SchemaChecker checker(dependencies_yml->file, &diagnostics);
      builder.ReadDependenciesFile(yaml.root, checker);
    } else {
      all_parsed = false;
    }
  }
  // Cross-file checks on half a model would report problems that are not there.
  if (all_parsed) builder.CrossCheck();
  return Finish(&builder, std::move(diagnostics));
}

}  // namespace orcastra::config
