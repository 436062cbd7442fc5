// The Prometheus text format renderer (common/metrics.h): escaping, HELP/TYPE once per family, no
// duplicate series, values.
#include "common/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "tests/support/exposition.h"

namespace orcastra::metrics {
namespace {

#define TEST_METRICS(M)                                                                   \
  M(kRequests, test_requests_total, kCounter, "code", "Requests answered, by code.")      \
  M(kTemperature, test_temperature_celsius, kGauge, "", "A gauge with a \\ and a\nline.") \
  M(kEmpty, test_never_total, kCounter, "", "A family without samples.")                  \
  M(kPair, test_pair_bytes, kGauge, "node,kind", "Two labels.")
ORCASTRA_METRIC_FAMILIES(TEST_METRICS, TestMetric, kTestFamilies)

TEST_CASE("label values are escaped as the text format requires", "[metrics]") {
  CHECK(EscapeLabelValue("plain") == "plain");
  CHECK(EscapeLabelValue("a\"b") == "a\\\"b");
  CHECK(EscapeLabelValue("a\\b") == "a\\\\b");
  CHECK(EscapeLabelValue("a\nb") == "a\\nb");
  CHECK(EscapeLabelValue("\\\"\n") == "\\\\\\\"\\n");
  // Invalid UTF-8 becomes U+FFFD; valid multi-byte text stays.
  CHECK(EscapeLabelValue("x\xff") == "x\xef\xbf\xbd");
  CHECK(EscapeLabelValue("m\xc3\xa9moire") == "m\xc3\xa9moire");
  CHECK(EscapeHelp("a\\b\nc\"d") == "a\\\\b\\nc\"d");
}

TEST_CASE("values: integers exactly, special values by name", "[metrics]") {
  CHECK(FormatValue(0) == "0");
  CHECK(FormatValue(1073741824) == "1073741824");
  CHECK(FormatValue(9007199254740992.0) == "9007199254740992");
  CHECK(FormatValue(-3) == "-3");
  CHECK(FormatValue(0.25) == "0.25");
  CHECK(std::stod(FormatValue(1.0 / 3)) == 1.0 / 3);
  CHECK(FormatValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(std::stod(FormatValue(1e300)) == 1e300);
}

TEST_CASE("metric and label names", "[metrics]") {
  CHECK(IsValidMetricName("orcastra_agent_memory_total_bytes"));
  CHECK(IsValidMetricName("a:b"));
  CHECK_FALSE(IsValidMetricName("9a"));
  CHECK_FALSE(IsValidMetricName("a-b"));
  CHECK_FALSE(IsValidMetricName(""));
  CHECK(IsValidLabelName("node"));
  CHECK_FALSE(IsValidLabelName("a:b"));
  CHECK_FALSE(IsValidLabelName("__name__"));
  for (const Family& f : kTestFamilies) CHECK(IsValidMetricName(f.name));
}

TEST_CASE("an exposition: HELP and TYPE once per family, in list order, samples sorted",
          "[metrics]") {
  Exposition e(kTestFamilies);
  e.Add(TestMetric::kPair, {"w1", "used"}, 5);
  e.Add(TestMetric::kRequests, {"500"}, 2);
  e.Add(TestMetric::kRequests, {"200"}, 40);
  e.Add(TestMetric::kTemperature, 21.5);
  e.Add(TestMetric::kPair, {"m1", "used"}, 7);
  const std::string text = e.Render();
  CHECK(e.problems() == 0);
  CHECK(text ==
        "# HELP test_requests_total Requests answered, by code.\n"
        "# TYPE test_requests_total counter\n"
        "test_requests_total{code=\"200\"} 40\n"
        "test_requests_total{code=\"500\"} 2\n"
        "# HELP test_temperature_celsius A gauge with a \\\\ and a\\nline.\n"
        "# TYPE test_temperature_celsius gauge\n"
        "test_temperature_celsius 21.5\n"
        "# HELP test_pair_bytes Two labels.\n"
        "# TYPE test_pair_bytes gauge\n"
        "test_pair_bytes{node=\"m1\",kind=\"used\"} 7\n"
        "test_pair_bytes{node=\"w1\",kind=\"used\"} 5\n");
  auto parsed = testing::ParseExposition(text);
  CHECK(parsed.errors.empty());
  CHECK(parsed.helps["test_temperature_celsius"] == "A gauge with a \\ and a\nline.");
  CHECK_FALSE(parsed.types.count("test_never_total"));  // no samples: not written
}

TEST_CASE("hostile label values read back exactly", "[metrics]") {
  const std::string hostile = "w1\"} 1\nfake_metric 99\n\\";
  Exposition e(kTestFamilies);
  e.Add(TestMetric::kPair, {hostile, "x"}, 1);
  auto parsed = testing::ParseExposition(e.Render());
  CHECK(parsed.errors.empty());
  REQUIRE(parsed.series.size() == 1);
  auto labels = parsed.labels_of("test_pair_bytes");
  REQUIRE(labels.size() == 1);
  CHECK(labels[0]["node"] == hostile);
  CHECK_FALSE(parsed.types.count("fake_metric"));
}

TEST_CASE("no duplicate series: a second sample with the same labels is refused", "[metrics]") {
  Exposition e(kTestFamilies);
  e.Add(TestMetric::kRequests, {"200"}, 1);
  e.Add(TestMetric::kRequests, {"200"}, 2);
  e.Add(TestMetric::kTemperature, 1);
  e.Add(TestMetric::kTemperature, 2);
  CHECK(e.problems() == 2);
  auto parsed = testing::ParseExposition(e.Render());
  CHECK(parsed.errors.empty());
  CHECK(parsed.value("test_requests_total{code=\"200\"}") == 1);
  CHECK(parsed.value("test_temperature_celsius") == 1);
}

TEST_CASE("samples that break the format are refused and counted", "[metrics]") {
  Exposition e(kTestFamilies);
  e.Add(TestMetric::kRequests, {}, 1);                  // a label missing
  e.Add(TestMetric::kTemperature, {"extra"}, 1);        // a label too many
  e.Add(TestMetric::kRequests, {"200"}, -1);            // a counter below zero
  e.Add(TestMetric::kRequests, {"201"}, std::nan(""));  // a counter that is not a number
  e.Add(std::size_t{99}, {}, 1);                        // no such family
  e.Add(TestMetric::kTemperature, std::nan(""));        // a gauge may be NaN
  CHECK(e.problems() == 5);
  auto parsed = testing::ParseExposition(e.Render());
  CHECK(parsed.errors.empty());
  CHECK(parsed.series.size() == 1);
}

}  // namespace
}  // namespace orcastra::metrics
