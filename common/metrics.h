// Prometheus text exposition format 0.0.4: the one renderer every component's /metrics uses.
//
// A component declares its metric families once, in one list (an X-macro, see
// ORCASTRA_METRIC_FAMILIES below and agent/observe/metrics.h), each with its name
// (`orcastra_<component>_<what>_<unit>`, counters ending in `_total`), type, help text and label
// names. A scrape builds an Exposition over that list from a snapshot of the component's figures,
// adds samples by family, and renders the text: families in declaration order, `# HELP` and
// `# TYPE` once per family (only for families that have samples), samples sorted by label values,
// label values and help escaped as the format requires (and made valid UTF-8). A sample with the
// wrong number of label values, a non-finite counter or a second sample with the same labels is
// not rendered and counted in problems(): the output never has a duplicate series.
//
// Pure; an Exposition is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace orcastra::metrics {

enum class Type { kCounter, kGauge };

// One metric family as a component declares it. `labels` is a comma-separated list of label names
// ("" for none), in the order Add() takes their values.
struct Family {
  std::string_view name;
  Type type;
  std::string_view labels;
  std::string_view help;
};

// The Content-Type of the text format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value as the format writes it between quotes: `\` as `\\`, `"` as `\"`, a line feed as
// `\n`; invalid UTF-8 replaced by U+FFFD.
std::string EscapeLabelValue(std::string_view value);
// Help text: `\` as `\\`, a line feed as `\n`; invalid UTF-8 replaced.
std::string EscapeHelp(std::string_view help);
// A sample value: integers exactly (up to 2^53), others in the shortest form that reads back the
// same; NaN, +Inf, -Inf.
std::string FormatValue(double value);
// True for a metric or label name the format allows ([a-zA-Z_:][a-zA-Z0-9_:]* for metrics, no ':'
// for labels, and no label name starting with "__").
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

class Exposition {
 public:
  explicit Exposition(std::span<const Family> families);

  // One sample of family number `family` (its index in the list) with the label values in the
  // family's label order.
  void Add(std::size_t family, std::initializer_list<std::string_view> label_values, double value);
  void Add(std::size_t family, const std::vector<std::string>& label_values, double value);
  // The same with an enum of the component's list as the family.
  template <typename Id>
  requires std::is_enum_v<Id>
  void Add(Id family, std::initializer_list<std::string_view> label_values, double value) {
    Add(static_cast<std::size_t>(family), label_values, value);
  }
  template <typename Id>
  requires std::is_enum_v<Id>
  void Add(Id family, double value) { Add(static_cast<std::size_t>(family), {}, value); }

  std::string Render() const;
  // Samples refused (wrong label count, unknown family, duplicate series, non-finite or negative
  // counter).
  std::size_t problems() const { return problems_; }

 private:
  void AddChecked(std::size_t family, std::vector<std::string> values, double value);

  std::span<const Family> families_;
  std::vector<std::vector<std::string>> label_names_;  // per family
  // Per family: label values -> value (sorted, so each series once).
  std::vector<std::map<std::vector<std::string>, double>> samples_;
  std::size_t problems_ = 0;
};

}  // namespace orcastra::metrics

// Declares a component's metric families from an X-macro list LIST(M), where every entry is
// M(Id, name, type, "label,names", "help"): an `enum class ENUM` with one id per family (in list
// order) and `constexpr metrics::Family ARRAY[]`.
#define ORCASTRA_METRIC_ENUM_ENTRY(id, name, type, labels, help) id,
#define ORCASTRA_METRIC_FAMILY_ENTRY(id, name, type, labels, help) \
  ::orcastra::metrics::Family{#name, ::orcastra::metrics::Type::type, labels, help},
#define ORCASTRA_METRIC_FAMILIES(LIST, ENUM, ARRAY)                   \
  enum class ENUM : std::size_t { LIST(ORCASTRA_METRIC_ENUM_ENTRY) }; \
  inline constexpr ::orcastra::metrics::Family ARRAY[] = {LIST(ORCASTRA_METRIC_FAMILY_ENTRY)};
