// The pure parts of GC's I/O side: options from the environment, the snapshot assembled from
// recorded daemon answers (tests/fixtures/docker, Docker 20.10), and the counts text. Removal
// itself runs against a real daemon in tests/integration/gc_test.cc.
#include "agent/gc/service.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "common/time_format.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

json Fixture(const std::string& name) {
  std::ifstream in(std::string(ORCASTRA_FIXTURES_DIR) + "/docker/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

TEST_CASE("gc options: defaults", "[gc]") {
  auto options = GcOptionsFromEnv(Env({}));
  REQUIRE(options.ok());
  CHECK(options->enabled);
  CHECK_FALSE(options->dry_run);
  CHECK(options->cron == "0 */4 * * *");
  CHECK(options->plan.grace_period == 10800s);
  CHECK(options->plan.minimum_images_to_save == 3);
  CHECK_FALSE(options->plan.clean_up_volumes);
  CHECK(options->plan.removable_volumes.empty());
}

TEST_CASE("gc options: every variable", "[gc]") {
  auto options = GcOptionsFromEnv(Env({{"GC_ENABLED", "false"},
                                       {"GC_DRY_RUN", "1"},
                                       {"GC_CRON", " 30 2 * * sun "},
                                       {"GC_GRACE_PERIOD_SECONDS", "600"},
                                       {"GC_MINIMUM_IMAGES_TO_SAVE", "0"},
                                       {"GC_CLEAN_UP_VOLUMES", "true"},
                                       {"GC_REMOVABLE_VOLUMES", " cache, build-tmp ,,scratch.1"}}));
  REQUIRE(options.ok());
  CHECK_FALSE(options->enabled);
  CHECK(options->dry_run);
  CHECK(options->cron == "30 2 * * sun");
  CHECK(options->plan.grace_period == 600s);
  CHECK(options->plan.minimum_images_to_save == 0);
  CHECK(options->plan.clean_up_volumes);
  CHECK(options->plan.removable_volumes ==
        std::set<std::string>{"build-tmp", "cache", "scratch.1"});
  CHECK(GcOptionsFromEnv(Env({{"GC_GRACE_PERIOD_SECONDS", "3h"}}))->plan.grace_period == 3h);
}

TEST_CASE("gc options: GC_DRY_RUN wins over DRY_RUN", "[gc]") {
  CHECK(GcOptionsFromEnv(Env({{"DRY_RUN", "true"}}))->dry_run);
  CHECK_FALSE(GcOptionsFromEnv(Env({{"DRY_RUN", "true"}, {"GC_DRY_RUN", "false"}}))->dry_run);
  CHECK(GcOptionsFromEnv(Env({{"DRY_RUN", "junk"}})).status().message() ==
        "DRY_RUN='junk': expected true or false");
}

TEST_CASE("gc options: bad values name the variable", "[gc]") {
  auto cron = GcOptionsFromEnv(Env({{"GC_CRON", "0 */4 * *"}}));
  REQUIRE_FALSE(cron.ok());
  CHECK(cron.status().code() == Status::Code::kInvalidArgument);
  CHECK(cron.status().message().rfind("GC_CRON: cron '0 */4 * *'", 0) == 0);
  auto minute = GcOptionsFromEnv(Env({{"GC_CRON", "61 * * * *"}}));
  CHECK(minute.status().message().rfind("GC_CRON: ", 0) == 0);
  CHECK(GcOptionsFromEnv(Env({{"GC_GRACE_PERIOD_SECONDS", "-5"}})).status().message() ==
        "GC_GRACE_PERIOD_SECONDS='-5': expected a duration from 0s to 8784h (a bare number is "
        "seconds)");
  CHECK(GcOptionsFromEnv(Env({{"GC_GRACE_PERIOD_SECONDS", "9999999999999999999999"}}))
            .status()
            .message() ==
        "GC_GRACE_PERIOD_SECONDS='9999999999999999999999': expected a duration from 0s to 8784h "
        "(a bare number is seconds)");
  CHECK(GcOptionsFromEnv(Env({{"GC_GRACE_PERIOD_SECONDS", "8784h"}}))->plan.grace_period ==
        std::chrono::hours(8784));
  CHECK(GcOptionsFromEnv(Env({{"GC_MINIMUM_IMAGES_TO_SAVE", "1000001"}})).status().message() ==
        "GC_MINIMUM_IMAGES_TO_SAVE '1000001' is not a whole number from 0 to 1000000");
  // An empty value counts as unset.
  CHECK(GcOptionsFromEnv(Env({{"GC_ENABLED", ""}, {"GC_GRACE_PERIOD_SECONDS", ""}}))->enabled);
  CHECK(GcOptionsFromEnv(Env({{"GC_MINIMUM_IMAGES_TO_SAVE", "x"}}))
            .status()
            .message()
            .find("GC_MINIMUM_IMAGES_TO_SAVE") != std::string::npos);
  CHECK(GcOptionsFromEnv(Env({{"GC_MINIMUM_IMAGES_TO_SAVE", "-1"}})).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(GcOptionsFromEnv(Env({{"GC_CLEAN_UP_VOLUMES", "sometimes"}})).status().message() ==
        "GC_CLEAN_UP_VOLUMES='sometimes': expected true or false");
  CHECK(GcOptionsFromEnv(Env({{"GC_ENABLED", "2"}})).status().message() ==
        "GC_ENABLED='2': expected true or false");
  CHECK(GcOptionsFromEnv(Env({{"GC_REMOVABLE_VOLUMES", "ok,bad/name"}})).status().message() ==
        "GC_REMOVABLE_VOLUMES: 'bad/name' is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
}

// The probe state of tests/fixtures/docker: app:v1 (3 tags, 2 repositories) and a dangling commit,
// both unused; busybox used by a running and an exited container; named1 and one anonymous volume
// mounted by the running container, one anonymous volume by the exited one, one unused.
struct Recorded {
  std::vector<docker::ContainerSummary> containers;
  std::vector<docker::ImageSummary> images;
  std::vector<docker::Volume> volumes;
  docker::DiskUsage usage;
};

Recorded Load() {
  Recorded r;
  auto usage = docker::DecodeDiskUsage(Fixture("system_df.json"));
  REQUIRE(usage.ok());
  r.usage = *usage;
  r.containers = usage->containers;  // the same shape as GET /containers/json?all=1
  auto images = docker::DecodeList(Fixture("images.json"), docker::DecodeImageSummary, "images");
  REQUIRE(images.ok());
  r.images = *images;
  auto volumes = docker::DecodeVolumeList(Fixture("volumes.json"));
  REQUIRE(volumes.ok());
  r.volumes = *volumes;
  return r;
}

const char* const kUnusedAnonymous =
    "bc108da90e5a03edb0252f39d22ff290db61ca303697721defc4930c34ce2d2f";
const char* const kExitedAnonymous =
    "4915d4411cc1e9383f10f99f5c5786f99ad3b171292583fbde6ea14fb52cf791";

TEST_CASE("gc snapshot: assembled from the recorded answers", "[gc]") {
  Recorded r = Load();
  const std::string exited_id = r.containers[1].id;
  GcSnapshot s = AssembleGcSnapshot(r.containers, {{exited_id, "2026-11-30T11:05:11.149917293Z"}},
                                    r.images, r.volumes, r.usage, std::nullopt);
  REQUIRE(s.containers.size() == 2);
  CHECK(s.containers[0].name == "probe2");
  CHECK_FALSE(s.containers[0].finished_at);
  CHECK(s.containers[0].volume_names.size() == 2);
  CHECK(s.containers[1].finished_at.has_value());
  CHECK(s.containers[1].size_bytes == 4);
  CHECK(s.containers[1].created_at == WallTime{} + 1796036710s);
  REQUIRE(s.images.size() == 3);
  CHECK_FALSE(s.images[0].used_by_container);
  CHECK(s.images[2].used_by_container);  // busybox: 2 containers per /system/df
  CHECK(s.images[0].size_bytes == 1984260);
  CHECK(s.images[0].created_at == WallTime{} + 1796036711s);
  REQUIRE(s.volumes.size() == 4);
  std::map<std::string, GcVolume> volumes;
  for (const auto& v : s.volumes) volumes[v.name] = v;
  CHECK(volumes["named1"].in_use);
  CHECK(volumes[kExitedAnonymous].in_use);
  CHECK(volumes[kExitedAnonymous].size_bytes == 2);
  CHECK_FALSE(volumes[kUnusedAnonymous].in_use);
  CHECK(volumes[kUnusedAnonymous].created_at == ParseRfc3339("2026-11-30T11:05:11Z").value());
  // Docker 20.10 gives anonymous volumes no label: the 64-hex name is what tells them apart.
  CHECK(IsAnonymousVolume(volumes[kUnusedAnonymous]));
  CHECK_FALSE(IsAnonymousVolume(volumes["named1"]));
  CHECK_FALSE(s.referenced_images_known);
  CHECK(s.referenced_images.empty());
}

TEST_CASE("gc snapshot: the plan over the recorded daemon", "[gc]") {
  Recorded r = Load();
  const std::string exited_id = r.containers[1].id;
  GcSnapshot s = AssembleGcSnapshot(r.containers, {{exited_id, "2026-11-30T11:05:11.149917293Z"}},
                                    r.images, r.volumes, r.usage, std::set<std::string>{});
  CHECK(s.referenced_images_known);
  GcConfig config;
  config.grace_period = 60s;
  config.minimum_images_to_save = 0;
  config.clean_up_volumes = true;
  auto plan = PlanGc(s, config, *ParseRfc3339("2026-11-30T12:00:00Z").value());
  REQUIRE(plan.ok());
  std::vector<std::string> removed;
  for (const auto& item : plan->remove) removed.push_back(item.name);
  // The exited container; app:v1 and the dangling commit; the unused anonymous volume. busybox
  // (used), named1 (named, in use) and the two mounted anonymous volumes stay.
  CHECK(removed == std::vector<std::string>{"probe1", "198.51.100.1:5000/gctest/app:alias",
                                            "<none>", kUnusedAnonymous});
}

TEST_CASE("gc: service image references, current and previous spec", "[gc]") {
  auto services = docker::DecodeList(Fixture("services.json"), docker::DecodeService, "services");
  REQUIRE(services.ok());
  // A rolled-back update leaves the old image in PreviousSpec; a plugin service has no image.
  json updated = Fixture("services.json")[1];
  updated["PreviousSpec"] = updated["Spec"];
  updated["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "198.51.100.1:5000/lab/old:0";
  auto previous = docker::DecodeService(updated);
  REQUIRE(previous.ok());
  services->push_back(*previous);
  json plugin = {
      {"ID", "p"},
      {"Version", {{"Index", 1}}},
      {"Spec", {{"Name", "plugin"}, {"TaskTemplate", {{"PluginSpec", json::object()}}}}}};
  auto plugin_service = docker::DecodeService(plugin);
  REQUIRE(plugin_service.ok());
  services->push_back(*plugin_service);
  CHECK(ServiceImageRefs(*services) ==
        std::set<std::string>{"198.51.100.1:5000/orcastra/orcastra:dev-075147cfc3e2",
                              "198.51.100.1:5000/lab/busybox:1@sha256:"
                              "6312f22920c011865c302f85ac843c54ce5d6e05b447da0112d6a972cccc8813",
                              "198.51.100.1:5000/lab/old:0"});
}

TEST_CASE("gc: counts text", "[gc]") {
  auto item = [](GcObjectKind kind, GcOutcome outcome) {
    GcItemResult r;
    r.item.kind = kind;
    r.outcome = outcome;
    return r;
  };
  std::vector<GcItemResult> items = {item(GcObjectKind::kContainer, GcOutcome::kRemoved),
                                     item(GcObjectKind::kImage, GcOutcome::kRemoved),
                                     item(GcObjectKind::kImage, GcOutcome::kRemoved),
                                     item(GcObjectKind::kVolume, GcOutcome::kGone)};
  CHECK(GcCountsText(items, GcOutcome::kRemoved) == "1 container, 2 images, 0 volumes");
  CHECK(GcCountsText(items, GcOutcome::kGone) == "0 containers, 0 images, 1 volume");
  GcExecution execution{items, 0};
  CHECK(execution.Count(GcOutcome::kRemoved) == 3);
  CHECK(GcOutcomeName(GcOutcome::kRefused) == "refused");
}

}  // namespace
}  // namespace orcastra::agent
