// The modcache sources: `modcache.yml` (a list of {url, sha256, file}) and the container labels
// `com.linuxserver.mod.<file>` = `<url>[#sha256=<hex>]`. Everything here is pure: text and label
// maps in, sources and diagnostics out (the agent's ModCache reads the file and lists the labels).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"

namespace orcastra::config {

// The label prefix of a mod source; the rest of the key is the file name.
inline constexpr std::string_view kModLabelPrefix = "com.linuxserver.mod.";

// One thing to download.
struct ModSource {
  std::string url;                    // http:// or https:// only
  std::string file;                   // a plain file name inside the destination directory
  std::optional<std::string> sha256;  // 64 lowercase hex digits, when the content is pinned
  std::string origin;                 // for messages: "modcache.yml:3:3", "container web"

  bool operator==(const ModSource&) const = default;
};

struct ModcacheConfig {
  std::vector<ModSource> sources;  // in file order; file names are unique

  bool operator==(const ModcacheConfig&) const = default;
};

struct ModcacheParse {
  std::optional<ModcacheConfig> config;  // present only when no diagnostic is an error
  std::vector<Diagnostic> diagnostics;
};

// Parses modcache.yml: a list of sources, or a map whose `sources` key holds that list. A source is
// a map {url (required), sha256, file} or a bare URL string. `file` defaults to the last path
// segment of the URL. Errors (file:line:column:field): syntax, wrong types, a missing url, a URL
// that is not http(s), a sha256 that is not 64 hex digits, an invalid or duplicate file name.
// Unknown keys are warnings. An empty file means no sources (with a warning).
ModcacheParse ParseModcacheYaml(std::string_view text, const std::string& file);

// Empty when `url` is an acceptable source URL (http:// or https://, a host, no spaces or control
// characters), else why not.
std::string ModUrlProblem(std::string_view url);
// Empty when `name` is an acceptable file name in the destination directory (1..255 characters
// among letters, digits and `._-+~@=,%`, not starting with '.'), else why not. Names starting with
// '.' are reserved for the cache's own state and temporary files.
std::string ModFileNameProblem(std::string_view name);
// The last path segment of `url` (query and fragment removed), "" when there is none.
std::string DefaultModFileName(std::string_view url);

// The labels of one container, as listed by the local daemon.
struct ContainerLabels {
  std::string container;  // name, for messages
  std::map<std::string, std::string> labels;
};

struct LabelSources {
  std::vector<ModSource> sources;       // ordered by container name, then label key
  std::vector<Diagnostic> diagnostics;  // warnings only: a bad label is ignored, never fatal
};

// The sources given by `com.linuxserver.mod.<file>` labels: `<file>` is the file name (the rule of
// ModFileNameProblem), the value is the URL, optionally followed by `#sha256=<64 hex>` (a URL
// fragment is never sent to the server, so `#` cannot clash with the URL itself). Invalid labels
// are ignored with a warning naming the container and the label. The same file asked by several
// containers with the same URL and hash is one source; with a different URL or hash, the first
// container (by name) wins and the others are warned about.
LabelSources ModSourcesFromLabels(const std::vector<ContainerLabels>& containers);

// modcache.yml's sources, then the label sources whose file name the file does not already use
// (a label that names a file of modcache.yml with another URL or hash is ignored, with a warning).
std::vector<ModSource> MergeModSources(const std::vector<ModSource>& from_file,
                                       const std::vector<ModSource>& from_labels,
                                       std::vector<Diagnostic>* diagnostics);

}  // namespace orcastra::config
