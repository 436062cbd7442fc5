// Garbage collection of a node's containers, images and volumes as a pure function.
//
// PlanGc() takes a snapshot of what the local daemon holds (plus the image references of every
// service spec, which only a manager knows and the leader sends), the GC settings and the current
// wall-clock time, and returns the plan: what to remove and why, what to keep and why, and an
// estimate of the bytes freed. The plan is the dry run; executing it is a separate thin step
// (containers first, then images, then volumes, the order of GcPlan::remove).
//
// Rules:
// - Containers: `exited` and `dead` containers whose FinishedAt is at least `grace_period` ago, and
//   `created` containers (never started, e.g. a Swarm task whose start failed) created at least
//   `grace_period` ago. running, paused, restarting and removing containers are never touched; an
//   exited container without a known finish time is kept.
// - Images: an image is kept when any container in the snapshot (any state) uses it, when any
//   service reference names it (by id, by digest or by repository:tag, see ParseImageReference),
//   when it is among the newest `minimum_images_to_save` (by creation time, counting every image
//   of the repository, used or not; all images tied with the N-th are kept) of any of its
//   repositories, or when it was created less than `grace_period` ago. Anything else goes: unused
//   tagged images beyond the newest N, and dangling images (no tag and no digest). When the service
//   references are not known completely, or one of them cannot be parsed, no image is removed at
//   all.
// - An image's repositories come from its tags and its digests. Docker calls an image with digests
//   but no tag "dangling"; here it still belongs to its repository, because Swarm pulls service
//   images by digest and so every service image on a worker looks like that.
// - Volumes: only with `clean_up_volumes`, and then only unused volumes created at least
//   `grace_period` ago that are either anonymous (with the `local` driver) or listed by name in
//   `removable_volumes`. A volume in use by any container (running or not) is never removed.
// - Everything in use at snapshot time is kept for this run, even when the only container using it
//   is removed by the same plan: the next run, on a fresh snapshot, collects it. That costs one GC
//   period of disk and never removes something whose last user turned out to be still there.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/docker_types.h"
#include "common/status.h"

namespace orcastra::agent {

// Docker reports creation and finish times on the wall clock; GC compares them with a wall-clock
// `now` passed in by the caller.
using WallTime = std::chrono::system_clock::time_point;

// The label Docker (Engine 23.0+, API 1.42+) puts on volumes it creates without a name.
inline constexpr std::string_view kAnonymousVolumeLabel = "com.docker.volume.anonymous";

// One container of the node (GET /containers/json?all=1, FinishedAt from inspect).
struct GcContainer {
  std::string id;
  std::string name;      // without the leading '/'
  std::string state;     // created, running, paused, restarting, removing, exited, dead
  std::string image_id;  // ImageID: "sha256:<hex>"
  WallTime created_at{};
  std::optional<WallTime> finished_at;     // State.FinishedAt; nullopt when zero or unknown
  std::vector<std::string> volume_names;   // names of the volumes it mounts (Mounts[].Name)
  docker::Labels labels;                   // not read by the rules today
  std::optional<std::int64_t> size_bytes;  // SizeRw, when the caller asked for sizes
};

// One image of the node (GET /images/json).
struct GcImage {
  std::string id;                         // "sha256:<hex>"
  std::vector<std::string> repo_tags;     // "nginx:1.25"; "<none>:<none>" is ignored
  std::vector<std::string> repo_digests;  // "nginx@sha256:<hex>"; "<none>@<none>" is ignored
  WallTime created_at{};
  std::optional<std::int64_t> size_bytes;  // Size (includes layers shared with other images)
  // True when the daemon says a container uses it (Containers > 0). Containers in the snapshot that
  // use the image by ImageID count as well, whatever this says.
  bool used_by_container = false;
};

// One volume of the node (GET /volumes, usage from GET /system/df).
struct GcVolume {
  std::string name;
  std::string driver;                  // "local", or a plugin's name
  std::optional<WallTime> created_at;  // CreatedAt; nullopt when the driver gives none
  // True when the daemon says a container (running or not) uses it (UsageData.RefCount > 0).
  // Containers in the snapshot that mount it by name count as well, whatever this says.
  bool in_use = false;
  docker::Labels labels;
  std::optional<std::int64_t> size_bytes;  // UsageData.Size when known (-1 from Docker: nullopt)
};

// Everything PlanGc() looks at. The lists must be complete: the caller skips GC when any read
// failed, except the service references, whose completeness is stated by
// `referenced_images_known` (false: no image is removed).
struct GcSnapshot {
  std::vector<GcContainer> containers;
  std::vector<GcImage> images;
  std::vector<GcVolume> volumes;
  // The image of every service spec, current and previous, including services scaled to 0, as the
  // spec writes it: "repo:tag@sha256:<hex>", "repo:tag", "repo@sha256:<hex>", "sha256:<hex>".
  std::vector<std::string> referenced_images;
  // True only when `referenced_images` is the full list from the leader for this run.
  bool referenced_images_known = false;
  // When not known: why ("no service image references received from a leader yet", ...); shown in
  // the plan's note. May be empty.
  std::string referenced_images_unknown_why;
};

// GC settings (env GC_*). The defaults are spotify/docker-gc's (GRACE_PERIOD_SECONDS=3600,
// MINIMUM_IMAGES_TO_SAVE=0); volumes are off unless asked for.
struct GcConfig {
  // Nothing younger than this is removed: an object goes when its age (since the container
  // finished, or since the image or volume was created) is at least this.
  std::chrono::seconds grace_period{3600};
  // The newest N images of every repository are kept. Env GC_MINIMUM_IMAGES_TO_SAVE.
  int minimum_images_to_save = 0;
  // Volumes are collected only when true. Env GC_CLEAN_UP_VOLUMES.
  bool clean_up_volumes = false;
  // Named volumes that may be removed when unused (and `clean_up_volumes` is on).
  std::set<std::string> removable_volumes;
};

// InvalidArgument when a setting is out of range (negative grace period or image count).
Status ValidateGcConfig(const GcConfig& config);

// Why an object is removed or kept. GcReasonName() gives the stable snake_case name used in JSON.
enum class GcReason {
  // Removed.
  kContainerExited,        // exited or dead, finished at least the grace period ago
  kContainerNeverStarted,  // created, never started, created at least the grace period ago
  kImageNotNewest,         // unused, unreferenced, not among the newest N of any repository
  kImageDangling,          // unused, unreferenced, no tag and no digest
  kVolumeAnonymous,        // anonymous, unused, old enough
  kVolumeListed,           // listed in removable_volumes, unused, old enough
  // Kept.
  kContainerActive,           // running, paused, restarting, removing (or a state not known)
  kContainerFinishUnknown,    // exited/dead without a finish time
  kWithinGracePeriod,         // finished or created less than the grace period ago
  kImageInUse,                // a container (any state) uses it
  kImageReferencedByService,  // a service spec names it
  kImageReferencesUnknown,    // the service references are not known: no image is removed
  kImageAmongNewest,          // among the newest N of one of its repositories
  kImageNameUnreadable,       // a tag or digest of the image could not be parsed
  kVolumesDisabled,           // clean_up_volumes is off
  kVolumeInUse,               // a container (running or not) uses it
  kVolumeNamed,               // a named volume not listed in removable_volumes
  kVolumeNotLocal,            // anonymous but with a driver other than "local"
  kVolumeCreatedUnknown,      // no creation time: its age cannot be checked
};

// "container_exited", "image_in_use", ...: stable names for `--json` output.
std::string_view GcReasonName(GcReason reason);

enum class GcObjectKind { kContainer, kImage, kVolume };

// One object in the plan, removed or kept.
struct GcItem {
  GcObjectKind kind = GcObjectKind::kContainer;
  std::string id;    // container id, image id, volume name
  std::string name;  // container name, the image's first tag (or digest), volume name
  GcReason reason = GcReason::kContainerActive;
  std::string detail;  // for people: "finished 2h ago", "used by container 'web'", ...
  std::optional<std::int64_t> size_bytes;
};

// The result of PlanGc(): the dry run and the work list.
struct GcPlan {
  // In the order to execute: containers, then images, then volumes; each group in snapshot order.
  std::vector<GcItem> remove;
  std::vector<GcItem> keep;
  // Sum of the known sizes of `remove`. For images it is an upper bound (layers shared with kept
  // images stay on disk).
  std::int64_t bytes_freed_estimate = 0;
  int removed_with_unknown_size = 0;  // items of `remove` whose size is not known
  // Plan-wide remarks for people: "no image removed: service image references unknown", ...
  std::vector<std::string> notes;
};

// A parsed image reference, normalised the way Docker does: "nginx" is repository
// "docker.io/library/nginx" with tag "latest". Exactly one of `id` and `repository` is set.
struct ImageReference {
  std::string id;          // "sha256:<hex>" when the reference is an image id
  std::string repository;  // "docker.io/library/nginx", "registry.example.com:5000/team/app"
  std::string tag;         // "" when only a digest is given
  std::string digest;      // "sha256:<hex>" or ""
};

// Parses "name[:tag][@digest]" or an image id ("sha256:<64 hex>" or 64 hex digits). A name
// without registry is on docker.io, a single-component docker.io name is under "library/",
// "index.docker.io" is "docker.io", and a name with neither tag nor digest gets tag "latest".
// InvalidArgument for an empty or malformed reference.
Result<ImageReference> ParseImageReference(std::string_view text);

// True when the volume was created without a name: it carries kAnonymousVolumeLabel (Engine 23.0
// and later), or, for volumes made by older daemons that did not label them, its name is 64
// lowercase hex digits (the form Docker generates). A named volume that a user called by 64 hex
// digits is therefore taken for anonymous; only matters with clean_up_volumes on.
bool IsAnonymousVolume(const GcVolume& volume);

// Plans one GC run over `snapshot` at wall-clock time `now`. Pure; InvalidArgument when `config`
// fails ValidateGcConfig().
Result<GcPlan> PlanGc(const GcSnapshot& snapshot, const GcConfig& config, WallTime now);

}  // namespace orcastra::agent
