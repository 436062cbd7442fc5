#include "config/modcache_config.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "config/schema.h"
#include "config/yaml_tree.h"

namespace orcastra::config {
namespace {

bool IsHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Empty when `text` is 64 hex digits, else why not.
std::string Sha256Problem(std::string_view text) {
  if (text.size() != 64 || !IsHex(text)) {
    return "expected 64 hexadecimal digits (a SHA-256), got \"" + std::string(text) + "\"";
  }
  return "";
}

std::string Position(const std::string& file, const YamlNode& at) {
  return file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

// Reads one source (a map or a bare URL) at `node`; nullopt after reporting why not.
std::optional<ModSource> ReadSource(const YamlNode& node, const std::string& field,
                                    SchemaChecker& checker) {
  ModSource source;
  source.origin = Position(checker.file(), node);
  const YamlNode* url_node = &node;
  const YamlNode* file_node = nullptr;
  bool ok = true;
  if (node.IsScalar()) {
    source.url = node.scalar;
  } else if (node.IsMap()) {
    checker.WarnUnknownKeys(node, field, {"url", "sha256", "file"});
    url_node = node.Find("url");
    if (url_node == nullptr) {
      checker.Error(node, field, "a source needs a url");
      return std::nullopt;
    }
    auto url = checker.String(*url_node, FieldPath(field, "url"));
    if (!url) return std::nullopt;
    source.url = *url;
    if (const YamlNode* sha = node.Find("sha256")) {
      std::string sha_field = FieldPath(field, "sha256");
      if (auto text = checker.String(*sha, sha_field)) {
        std::string problem = Sha256Problem(*text);
        if (problem.empty()) {
          source.sha256 = Lower(*text);
        } else {
          checker.Error(*sha, sha_field, problem);
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (const YamlNode* name = node.Find("file")) {
      file_node = name;
      std::string file_field = FieldPath(field, "file");
      if (auto text = checker.String(*name, file_field)) {
        std::string problem = ModFileNameProblem(*text);
        if (problem.empty()) {
          source.file = *text;
        } else {
          checker.Error(*name, file_field, problem);
          ok = false;
        }
      } else {
        ok = false;
      }
    }
  } else {
    checker.Error(node, field,
                  "expected a source ({url, sha256, file} or a URL), got " + DescribeNode(node));
    return std::nullopt;
  }
  std::string url_field = node.IsMap() ? FieldPath(field, "url") : field;
  std::string problem = ModUrlProblem(source.url);
  if (!problem.empty()) {
    checker.Error(*url_node, url_field, problem);
    return std::nullopt;
  }
  if (file_node == nullptr) {
    source.file = DefaultModFileName(source.url);
    std::string name_problem = ModFileNameProblem(source.file);
    if (!name_problem.empty()) {
      checker.Error(*url_node, url_field,
                    "cannot take the file name from the URL (" + name_problem + "); give `file`");
      return std::nullopt;
    }
  }
  if (!ok) return std::nullopt;
  return source;
}

}  // namespace

std::string ModUrlProblem(std::string_view url) {
  if (url.empty()) return "the url must not be empty";
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return "the url must not contain spaces, control or non-ASCII characters (percent-encode "
             "them)";
    }
  }
  std::string lower = Lower(url.substr(0, std::min<std::size_t>(url.size(), 8)));
  std::size_t host_start = 0;
  if (lower.rfind("http://", 0) == 0) {
    host_start = 7;
  } else if (lower.rfind("https://", 0) == 0) {
    host_start = 8;
  } else {
    return "only http:// and https:// URLs are allowed, got \"" + std::string(url) + "\"";
  }
  std::string_view rest = url.substr(host_start);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = authority.rfind('@');
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (host.empty() || host.front() == ':') return "the url has no host";
  return "";
}

std::string ModFileNameProblem(std::string_view name) {
  if (name.empty()) return "the file name must not be empty";
  if (name.size() > 255) return "the file name is longer than 255 characters";
  auto valid = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("._-+~@=,%").find(c) != std::string_view::npos;
  };
  if (!std::all_of(name.begin(), name.end(), valid)) {
    return "the file name \"" + std::string(name) +
           "\" may hold only letters, digits and \"._-+~@=,%\" (no \"/\")";
  }
  if (name.front() == '.') {
    return "the file name \"" + std::string(name) +
           "\" must not start with \".\" (reserved for the cache's own files)";
  }
  return "";
}

std::string DefaultModFileName(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "";  // no path at all
  std::string_view path = rest.substr(slash);
  return std::string(path.substr(path.rfind('/') + 1));
}

ModcacheParse ParseModcacheYaml(std::string_view text, const std::string& file) {
  YamlParse yaml = ParseYaml(text, file);
  std::vector<Diagnostic> diagnostics = yaml.diagnostics;
  ModcacheConfig config;
  SchemaChecker checker(file, &diagnostics);
  const YamlNode* list = nullptr;
  std::string list_field;
  if (!yaml.syntax_ok) {
    // Nothing more to check.
  } else if (!yaml.root || yaml.root->IsNull()) {
    diagnostics.push_back({Severity::kWarning, file, 0, 0, "", "the file is empty; no sources"});
  } else if (yaml.root->IsSequence()) {
    list = &*yaml.root;
  } else if (yaml.root->IsMap()) {
    checker.WarnUnknownKeys(*yaml.root, "", {"sources"});
    list_field = "sources";
    const YamlNode* sources = yaml.root->Find("sources");
    if (sources != nullptr && !sources->IsNull() &&
        checker.ExpectList(*sources, list_field, "a list of sources")) {
      list = sources;
    }
  } else {
    checker.Error(
        *yaml.root, "",
        "expected a list of sources (or a map with `sources:`), got " + DescribeNode(*yaml.root));
  }
  if (list != nullptr) {
    std::map<std::string, const YamlNode*> first_use;  // file name -> the source that took it
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const YamlNode& item = list->items[i];
      std::string field = ItemPath(list_field, i);
      auto source = ReadSource(item, field, checker);
      if (!source) continue;
      auto [it, inserted] = first_use.emplace(source->file, &item);
      if (!inserted) {
        const YamlNode* at = item.IsMap() && item.Find("file") ? item.Find("file") : &item;
        checker.Error(*at, field,
                      "file name \"" + source->file + "\" is already used by the source at line " +
                          std::to_string(it->second->line) + ", column " +
                          std::to_string(it->second->column));
        continue;
      }
      config.sources.push_back(std::move(*source));
    }
  }
  ModcacheParse result;
  if (!HasErrors(diagnostics)) result.config = std::move(config);
  SortByPosition(&diagnostics);
  result.diagnostics = std::move(diagnostics);
  return result;
}

LabelSources ModSourcesFromLabels(const std::vector<ContainerLabels>& containers) {
  std::vector<const ContainerLabels*> ordered;
  for (const auto& c : containers) ordered.push_back(&c);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto* a, const auto* b) { return a->container < b->container; });
  LabelSources out;
  std::map<std::string, std::size_t> by_file;  // file -> index in out.sources
  for (const ContainerLabels* c : ordered) {
    std::string where = "container " + c->container;
    auto warn = [&](const std::string& key, std::string message) {
      out.diagnostics.push_back({Severity::kWarning, where, 0, 0, key, std::move(message)});
    };
    for (const auto& [key, value] : c->labels) {  // std::map: ordered by key
      if (key.rfind(kModLabelPrefix, 0) != 0) continue;
      ModSource source;
      source.origin = where;
      source.file = key.substr(kModLabelPrefix.size());
      std::string problem = ModFileNameProblem(source.file);
      if (!problem.empty()) {
        warn(key, "ignored: " + problem);
        continue;
      }
      std::string_view v = value;
      std::size_t hash = v.find('#');
      source.url = std::string(v.substr(0, hash));
      if (hash != std::string_view::npos) {
        std::string_view suffix = v.substr(hash + 1);
        constexpr std::string_view kSha = "sha256=";
        if (suffix.rfind(kSha, 0) != 0) {
          warn(key, "ignored: after \"#\" only \"sha256=<64 hex digits>\" is allowed");
          continue;
        }
        std::string sha_problem = Sha256Problem(suffix.substr(kSha.size()));
        if (!sha_problem.empty()) {
          warn(key, "ignored: sha256: " + sha_problem);
          continue;
        }
        source.sha256 = Lower(suffix.substr(kSha.size()));
      }
      problem = ModUrlProblem(source.url);
      if (!problem.empty()) {
        warn(key, "ignored: " + problem);
        continue;
      }
      auto it = by_file.find(source.file);
      if (it != by_file.end()) {
        const ModSource& first = out.sources[it->second];
        if (first.url != source.url || first.sha256 != source.sha256) {
          warn(key, "ignored: file \"" + source.file + "\" is already asked for by " +
                        first.origin + " with another url or sha256");
        }
        continue;
      }
      by_file.emplace(source.file, out.sources.size());
      out.sources.push_back(std::move(source));
    }
  }
  return out;
}

std::vector<ModSource> MergeModSources(const std::vector<ModSource>& from_file,
                                       const std::vector<ModSource>& from_labels,
                                       std::vector<Diagnostic>* diagnostics) {
  std::vector<ModSource> out = from_file;
  for (const ModSource& label : from_labels) {
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const ModSource& s) { return s.file == label.file; });
    if (same == out.end()) {
      out.push_back(label);
    } else if (same->url != label.url || same->sha256 != label.sha256) {
      diagnostics->push_back({Severity::kWarning, label.origin, 0, 0,
                              std::string(kModLabelPrefix) + label.file,
                              "ignored: file \"" + label.file + "\" is given by " + same->origin +
                                  " with another url or sha256"});
    }
  }
  return out;
}

}  // namespace orcastra::config
