// Garbage collection, the I/O side: reads the node's containers, images and volumes from the local
// daemon into a GcSnapshot, lets PlanGc() (agent/gc/plan.h) decide, removes what the plan says in
// plan order, and reports the run as events. GarbageCollector runs that on a cron schedule
// (GC_CRON) and on demand (RunNow()).
//
// Never forced: Docker itself refuses to remove a running container, an image a container uses
// and a volume a container mounts (HTTP 409). Those refusals and objects already gone (404) are the
// races between snapshot and removal; they are reported per item and never stop the run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gc/plan.h"
#include "common/clock.h"
#include "common/docker_client.h"
#include "common/flags.h"
#include "common/service.h"
#include "protocol/messages.h"

namespace orcastra::agent {

// The defaults of the Python Orcastra's GC_* variables, except volumes (off unless asked for).
inline constexpr std::string_view kDefaultGcCron = "0 */4 * * *";
inline constexpr std::chrono::seconds kDefaultGcGracePeriod{10800};
inline constexpr int kDefaultGcMinimumImagesToSave = 3;

struct GcOptions {
  bool enabled = true;   // GC_ENABLED: false turns off the schedule and RunNow() alike
  bool dry_run = false;  // GC_DRY_RUN, else DRY_RUN: plan and report, remove nothing
  // GC_CRON: 5-field cron (common/cron.h), read in the agent's local time (UTC in the image).
  std::string cron = std::string(kDefaultGcCron);
  GcConfig plan = DefaultGcConfig();

  // GcConfig with the defaults above (GC_GRACE_PERIOD_SECONDS 10800, GC_MINIMUM_IMAGES_TO_SAVE 3,
  // GC_CLEAN_UP_VOLUMES false, GC_REMOVABLE_VOLUMES empty).
  static GcConfig DefaultGcConfig();
};

// GC_ENABLED, GC_DRY_RUN / DRY_RUN, GC_CRON, GC_GRACE_PERIOD_SECONDS (seconds, or with a unit:
// "3h"), GC_MINIMUM_IMAGES_TO_SAVE, GC_CLEAN_UP_VOLUMES, GC_REMOVABLE_VOLUMES (comma-separated
// volume names). A bad value is InvalidArgument naming the variable.
Result<GcOptions> GcOptionsFromEnv(const EnvLookup& env);

// docker::ServiceImageRefs (common/docker_types.h): every service spec's image, current and
// previous.
using docker::ServiceImageRefs;

// ServiceImageRefs() of every service of the local daemon (0-replica services included). nullopt
// when this daemon cannot list services (a worker, not in a swarm, or the call failed): then no
// image is removed.
std::optional<std::set<std::string>> LocalServiceImageRefs(docker::Client& client);

// The service references a GC run may use: refs nullopt when they are not known, and then
// `unknown_why` says why (for the log, the plan's note and the gc_images_skipped event).
struct KnownServiceRefs {
  std::optional<std::set<std::string>> refs;
  std::string unknown_why;
};

// Reads everything PlanGc() needs. Any failed list is an error (never a partial snapshot); a
// container that disappears between the list and its inspect is left out. `service_refs` nullopt:
// references unknown (no image will be removed; `unknown_why` goes to the snapshot's
// referenced_images_unknown_why). Sizes and volume usage come from /system/df.
Result<GcSnapshot> TakeGcSnapshot(docker::Client& client,
                                  std::optional<std::set<std::string>> service_refs,
                                  std::string unknown_why = "");

// Pure: the snapshot from what the daemon answered. `finished_at` maps a container id to its
// State.FinishedAt (exited and dead containers). Sizes, image container counts and volume usage are
// taken from `usage` (GET /system/df) where it has them.
GcSnapshot AssembleGcSnapshot(const std::vector<docker::ContainerSummary>& containers,
                              const std::map<std::string, std::string>& finished_at,
                              const std::vector<docker::ImageSummary>& images,
                              const std::vector<docker::Volume>& volumes,
                              const docker::DiskUsage& usage,
                              std::optional<std::set<std::string>> service_refs);

enum class GcOutcome {
  kRemoved,
  kWouldRemove,  // dry run
  kGone,         // 404: removed by someone else meanwhile
  kRefused,      // 409: in use (or an image with children) since the snapshot; kept
  kFailed,       // anything else
};
std::string_view GcOutcomeName(GcOutcome outcome);

struct GcItemResult {
  GcItem item;
  GcOutcome outcome = GcOutcome::kFailed;
  std::string error;  // Docker's answer for kGone, kRefused and kFailed
};

struct GcExecution {
  std::vector<GcItemResult> items;  // plan.remove, in order
  // Sum of the known sizes of what was removed (or would be, in a dry run): an estimate, since an
  // image's size includes layers other images share.
  std::int64_t bytes_freed = 0;
  int Count(GcOutcome outcome) const;
};

// Removes plan.remove in order (containers, images, volumes). Per item: kGone and kRefused are
// races, reported and skipped; kFailed is reported; none stops the run. An image id that Docker
// refuses because it is tagged in several repositories is removed reference by reference, unless a
// container uses it. `dry_run`: calls nothing, every item kWouldRemove.
GcExecution ExecuteGcPlan(docker::Client& client, const GcPlan& plan, bool dry_run);

// What a run reports and logs. Pure formatting: "2 containers, 1 image, 3 volumes".
std::string GcCountsText(const std::vector<GcItemResult>& items, GcOutcome outcome);

class GarbageCollector final : public Service {
 public:
  // Receives gc_started, gc_removed (one summary per run: counts, bytes freed, names), gc_dry_run
  // (the same summary for a dry run), gc_failed (the run could not take its snapshot, or one item
  // could not be removed: subject its id). Called from this service's thread.
  using Report = std::function<void(protocol::Event)>;
  // Called once per run, on this service's thread.
  using ServiceRefs = std::function<KnownServiceRefs()>;

  GarbageCollector(std::string docker_socket, GcOptions options, ServiceRefs service_refs,
                   Report report);

  // Asks for one run as soon as possible, whatever the schedule. Thread-safe; requests made while a
  // run is in progress give one more run after it.
  void RunNow();

  // What it did since the process started (/metrics). Any thread.
  struct Counters {
    std::atomic<std::uint64_t> runs{0};         // runs that took their snapshot and planned
    std::atomic<std::uint64_t> failed_runs{0};  // runs that removed nothing: no snapshot or plan
    std::atomic<std::uint64_t> containers_removed{0};
    std::atomic<std::uint64_t> images_removed{0};
    std::atomic<std::uint64_t> volumes_removed{0};
    std::atomic<std::uint64_t> removal_failures{0};
    std::atomic<std::uint64_t> bytes_freed{0};  // the estimate the run reports
  };
  const Counters& counters() const { return counters_; }

 protected:
  void Run(std::stop_token stop) override;

 private:
  // Takes the pending RunNow() request, if any.
  bool TakeRunRequest();
  void RunOnce(docker::Client& docker, std::string_view trigger);

  // Constant after construction.
  const std::string docker_socket_;
  const GcOptions options_;
  const ServiceRefs service_refs_;
  const Report report_;

  std::mutex mutex_;
  bool run_requested_ = false;  // guarded by mutex_
  Counters counters_;
};

// A ServiceRefs provider that asks the daemon at `docker_socket` (LocalServiceImageRefs), with a
// client of its own per call.
GarbageCollector::ServiceRefs LocalServiceImageRefsProvider(std::string docker_socket);

// The service image references a leader sent last (protocol::ServiceImages). Thread-safe: the
// reporter sets them, the collector reads them and the reporter reports their age.
class LeaderServiceImages {
 public:
  void Set(const std::vector<std::string>& refs, SteadyTime now);
  // The references when they arrived within `max_age`; otherwise refs nullopt (unknown: no image
  // removed) and `unknown_why` says whether none arrived or how old they are.
  KnownServiceRefs Lookup(SteadyTime now, std::chrono::milliseconds max_age) const;
  // Milliseconds since the references arrived (0 for a clock that went back), -1 when none did:
  // node_report.service_images_age_ms.
  std::int64_t AgeMs(SteadyTime now) const;

 private:
  mutable std::mutex mutex_;
  std::optional<std::set<std::string>> refs_;  // guarded by mutex_
  SteadyTime received_at_{};                   // guarded by mutex_
};

// How old the leader's references may be when a worker's GC uses them: leaders resend them every
// protocol::kServiceImagesResendInterval (60 s) and at once when they change, so this bound (3 min)
// is passed only when the agent has heard no active leader for two resends. Then GC removes no
// image (containers and volumes are still collected) and says why (gc_images_skipped).
inline constexpr std::chrono::milliseconds kMaxLeaderImagesAge = protocol::kServiceImagesMaxAge;

// The daemon's own list when it is a manager; otherwise (a worker) the leader's references when
// fresh enough; otherwise unknown, with the reason.
GarbageCollector::ServiceRefs ServiceImageRefsProvider(
    std::string docker_socket, std::shared_ptr<const LeaderServiceImages> from_leader);

// The gc_images_skipped event of a run whose snapshot does not know the service references
// (nullopt when it does). Pure.
std::optional<protocol::Event> ImagesSkippedEvent(const GcSnapshot& snapshot,
                                                  std::string_view trigger);

}  // namespace orcastra::agent
