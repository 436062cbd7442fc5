#include "agent/gc/plan.h"

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

namespace orcastra::agent {
namespace {

constexpr std::string_view kDockerHubDomain = "docker.io";
constexpr std::string_view kLegacyDockerHubDomain = "index.docker.io";
constexpr std::string_view kOfficialImagesPath = "library/";
constexpr std::string_view kDefaultTag = "latest";
constexpr std::string_view kNoTag = "<none>:<none>";
constexpr std::string_view kNoDigest = "<none>@<none>";
constexpr std::size_t kMaxTagLength = 128;

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// "1d2h", "59m", "0s": a short age for people.
std::string FormatDuration(std::chrono::seconds d) {
  if (d.count() < 0) return "-" + FormatDuration(-d);
  if (d.count() == 0) return "0s";
  std::int64_t s = d.count();
  const std::int64_t days = s / 86400;
  const std::int64_t hours = (s % 86400) / 3600;
  const std::int64_t minutes = (s % 3600) / 60;
  const std::int64_t seconds = s % 60;
  std::string out;
  if (days != 0) out += std::to_string(days) + "d";
  if (hours != 0) out += std::to_string(hours) + "h";
  if (minutes != 0) out += std::to_string(minutes) + "m";
  if (seconds != 0) out += std::to_string(seconds) + "s";
  return out;
}

std::chrono::seconds AgeOf(WallTime t, WallTime now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now - t);
}

// "sha256:<hex>" (or another algorithm) as in a reference's "@digest" part.
bool IsValidDigest(std::string_view digest) {
  const auto colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) return false;
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view encoded = digest.substr(colon + 1);
  if (algorithm == "sha256") return encoded.size() == 64 && IsLowerHex(encoded);
  const bool algorithm_ok = std::all_of(algorithm.begin(), algorithm.end(), [](char c) {
    return IsAlnum(c) || c == '+' || c == '.' || c == '_' || c == '-';
  });
  const bool encoded_ok = std::all_of(encoded.begin(), encoded.end(), [](char c) {
    return IsAlnum(c) || c == '=' || c == '_' || c == '-';
  });
  return algorithm_ok && encoded_ok;
}

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) return false;
  if (tag.front() == '.' || tag.front() == '-') return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

// The first component of a name is a registry when it looks like a host: it has a dot or a port,
// is "localhost", or has upper-case letters (repository paths may not).
bool LooksLikeRegistry(std::string_view component) {
  if (component == "localhost") return true;
  return std::any_of(component.begin(), component.end(),
                     [](char c) { return c == '.' || c == ':' || (c >= 'A' && c <= 'Z'); });
}

// An image's tags and digests, parsed.
struct ImageNames {
  std::set<std::string> repositories;                  // from tags and digests
  std::set<std::pair<std::string, std::string>> tags;  // (repository, tag)
  std::set<std::string> digests;                       // "sha256:<hex>"
  std::string display;                                 // first tag as written, or digest
  std::string unreadable;                              // the first name that failed to parse
};

ImageNames NamesOf(const GcImage& image) {
  ImageNames names;
  for (const auto& text : image.repo_tags) {
    if (text.empty() || text == kNoTag) continue;
    auto ref = ParseImageReference(text);
    if (!ref.ok() || ref->repository.empty() || ref->tag.empty() || !ref->digest.empty()) {
      if (names.unreadable.empty()) names.unreadable = text;
      continue;
    }
    if (names.display.empty()) names.display = text;
    names.repositories.insert(ref->repository);
    names.tags.emplace(ref->repository, ref->tag);
  }
  for (const auto& text : image.repo_digests) {
    if (text.empty() || text == kNoDigest) continue;
    auto ref = ParseImageReference(text);
    if (!ref.ok() || ref->repository.empty() || ref->digest.empty()) {
      if (names.unreadable.empty()) names.unreadable = text;
      continue;
    }
    if (names.display.empty()) names.display = text;
    names.repositories.insert(ref->repository);
    names.digests.insert(ref->digest);
  }
  if (names.display.empty()) names.display = "<none>";
  return names;
}

// True when the service reference could name the image. A reference names every image it could
// mean: "repo:tag@digest" keeps both the image with that digest and the one tagged repo:tag now.
// A digest matches whatever repository it was pulled under (the content is the same), and also the
// image id (the containerd image store uses the manifest digest as the id).
bool Names(const ImageReference& ref, const GcImage& image, const ImageNames& names) {
  if (!ref.id.empty()) return ref.id == image.id;
  if (!ref.digest.empty() && (names.digests.count(ref.digest) > 0 || ref.digest == image.id)) {
    return true;
  }
  return !ref.tag.empty() && names.tags.count({ref.repository, ref.tag}) > 0;
}

void AddItem(std::vector<GcItem>& to, GcObjectKind kind, std::string id, std::string name,
             GcReason reason, std::string detail, std::optional<std::int64_t> size) {
  to.push_back(GcItem{kind, std::move(id), std::move(name), reason, std::move(detail), size});
}

void PlanContainers(const GcSnapshot& snapshot, const GcConfig& config, WallTime now,
                    GcPlan& plan) {
  const auto grace = FormatDuration(config.grace_period);
  for (const auto& c : snapshot.containers) {
    auto remove = [&](GcReason reason, std::string detail) {
      AddItem(plan.remove, GcObjectKind::kContainer, c.id, c.name, reason, std::move(detail),
              c.size_bytes);
    };
    auto keep = [&](GcReason reason, std::string detail) {
      AddItem(plan.keep, GcObjectKind::kContainer, c.id, c.name, reason, std::move(detail),
              c.size_bytes);
    };
    if (c.state == "exited" || c.state == "dead") {
      if (!c.finished_at) {
        keep(GcReason::kContainerFinishUnknown, c.state + ", finish time unknown");
        continue;
      }
      const auto age = AgeOf(*c.finished_at, now);
      if (age < config.grace_period) {
        keep(GcReason::kWithinGracePeriod,
             c.state + " " + FormatDuration(age) + " ago, grace period " + grace);
      } else {
        remove(GcReason::kContainerExited, c.state + " " + FormatDuration(age) + " ago");
      }
    } else if (c.state == "created") {
      const auto age = AgeOf(c.created_at, now);
      if (age < config.grace_period) {
        keep(GcReason::kWithinGracePeriod,
             "created " + FormatDuration(age) + " ago and not started yet, grace period " + grace);
      } else {
        remove(GcReason::kContainerNeverStarted,
               "created " + FormatDuration(age) + " ago, never started");
      }
    } else {
      keep(GcReason::kContainerActive, c.state.empty() ? "state unknown" : c.state);
    }
  }
}

void PlanImages(const GcSnapshot& snapshot, const GcConfig& config, WallTime now, GcPlan& plan) {
  // Which containers use which image, by id.
  std::map<std::string, std::string> user_of;  // image id -> first container name
  for (const auto& c : snapshot.containers) {
    if (!c.image_id.empty()) user_of.emplace(c.image_id, c.name);
  }

  // The service references; any doubt about them blocks image removal altogether.
  bool references_usable = snapshot.referenced_images_known;
  if (!snapshot.referenced_images_known) {
    std::string note = "no image removed: the service image references are not known";
    if (!snapshot.referenced_images_unknown_why.empty()) {
      note += " (" + snapshot.referenced_images_unknown_why + ")";
    }
    plan.notes.push_back(std::move(note));
  }
  std::vector<std::pair<std::string, ImageReference>> references;
  for (const auto& text : snapshot.referenced_images) {
    auto ref = ParseImageReference(text);
    if (!ref.ok()) {
      if (references_usable) {
        plan.notes.push_back("no image removed: service image reference '" + text +
                             "' cannot be parsed: " + ref.status().message());
      }
      references_usable = false;
      continue;
    }
    references.emplace_back(text, std::move(ref).value());
  }

  std::vector<ImageNames> names;
  names.reserve(snapshot.images.size());
  for (const auto& image : snapshot.images) names.push_back(NamesOf(image));

  // Newest N per repository. Every image tied with the N-th newest is kept as well, so the
  // outcome does not depend on the order the daemon lists images in.
  std::map<std::string, std::vector<std::size_t>> by_repository;
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (const auto& repo : names[i].repositories) by_repository[repo].push_back(i);
  }
  std::map<std::size_t, std::string> newest_in;  // image index -> "rank 2 of docker.io/x"
  const auto n = static_cast<std::size_t>(config.minimum_images_to_save);
  if (n > 0) {
    for (auto& [repo, members] : by_repository) {
      std::vector<WallTime> created;
      for (auto i : members) created.push_back(snapshot.images[i].created_at);
      std::sort(created.begin(), created.end(), std::greater<>());
      const WallTime cut = created[std::min(n, created.size()) - 1];
      for (auto i : members) {
        const WallTime t = snapshot.images[i].created_at;
        if (t < cut || newest_in.count(i) > 0) continue;
        const auto rank = 1 + std::count_if(created.begin(), created.end(),
                                            [t](WallTime other) { return other > t; });
        newest_in[i] = "newest " + std::to_string(rank) + " of " + std::to_string(created.size()) +
                       " in " + repo + ", keeping " + std::to_string(n);
      }
    }
  }

  const auto grace = FormatDuration(config.grace_period);
  for (std::size_t i = 0; i < snapshot.images.size(); ++i) {
    const GcImage& image = snapshot.images[i];
    const ImageNames& image_names = names[i];
    auto keep = [&](GcReason reason, std::string detail) {
      AddItem(plan.keep, GcObjectKind::kImage, image.id, image_names.display, reason,
              std::move(detail), image.size_bytes);
    };
    if (auto user = user_of.find(image.id); user != user_of.end()) {
      keep(GcReason::kImageInUse, "used by container '" + user->second + "'");
      continue;
    }
    if (image.used_by_container) {
      keep(GcReason::kImageInUse, "used by a container");
      continue;
    }
    if (!references_usable) {
      keep(GcReason::kImageReferencesUnknown, "service image references unknown");
      continue;
    }
    auto ref = std::find_if(references.begin(), references.end(),
                            [&](const auto& r) { return Names(r.second, image, image_names); });
    if (ref != references.end()) {
      keep(GcReason::kImageReferencedByService, "named by service image '" + ref->first + "'");
      continue;
    }
    if (!image_names.unreadable.empty()) {
      keep(GcReason::kImageNameUnreadable, "cannot parse '" + image_names.unreadable + "'");
      continue;
    }
    if (auto newest = newest_in.find(i); newest != newest_in.end()) {
      keep(GcReason::kImageAmongNewest, newest->second);
      continue;
    }
    const auto age = AgeOf(image.created_at, now);
    if (age < config.grace_period) {
      keep(GcReason::kWithinGracePeriod,
           "created " + FormatDuration(age) + " ago, grace period " + grace);
      continue;
    }
    const bool dangling = image_names.repositories.empty();
    AddItem(plan.remove, GcObjectKind::kImage, image.id, image_names.display,
            dangling ? GcReason::kImageDangling : GcReason::kImageNotNewest,
            dangling ? "dangling, unused, created " + FormatDuration(age) + " ago"
            : n == 0 ? "unused, unreferenced, created " + FormatDuration(age) + " ago"
                     : "unused, not among the newest " + std::to_string(n) + " of its repositories",
            image.size_bytes);
  }
}

void PlanVolumes(const GcSnapshot& snapshot, const GcConfig& config, WallTime now, GcPlan& plan) {
  std::map<std::string, std::string> user_of;  // volume name -> first container name
  for (const auto& c : snapshot.containers) {
    for (const auto& v : c.volume_names) user_of.emplace(v, c.name);
  }
  const auto grace = FormatDuration(config.grace_period);
  for (const auto& v : snapshot.volumes) {
    auto keep = [&](GcReason reason, std::string detail) {
      AddItem(plan.keep, GcObjectKind::kVolume, v.name, v.name, reason, std::move(detail),
              v.size_bytes);
    };
    if (!config.clean_up_volumes) {
      keep(GcReason::kVolumesDisabled, "volume clean-up is off");
      continue;
    }
    if (auto user = user_of.find(v.name); user != user_of.end()) {
      keep(GcReason::kVolumeInUse, "used by container '" + user->second + "'");
      continue;
    }
    if (v.in_use) {
      keep(GcReason::kVolumeInUse, "used by a container");
      continue;
    }
    const bool listed = config.removable_volumes.count(v.name) > 0;
    const bool anonymous = IsAnonymousVolume(v);
    if (!listed && !anonymous) {
      keep(GcReason::kVolumeNamed, "named volume not listed as removable");
      continue;
    }
    if (!listed && v.driver != "local") {
      keep(GcReason::kVolumeNotLocal, "anonymous volume of driver '" + v.driver + "'");
      continue;
    }
    if (!v.created_at) {
      keep(GcReason::kVolumeCreatedUnknown, "creation time unknown");
      continue;
    }
    const auto age = AgeOf(*v.created_at, now);
    if (age < config.grace_period) {
      keep(GcReason::kWithinGracePeriod,
           "created " + FormatDuration(age) + " ago, grace period " + grace);
      continue;
    }
    AddItem(plan.remove, GcObjectKind::kVolume, v.name, v.name,
            listed ? GcReason::kVolumeListed : GcReason::kVolumeAnonymous,
            std::string(listed ? "listed as removable" : "anonymous") + ", unused, created " +
                FormatDuration(age) + " ago",
            v.size_bytes);
  }
}

}  // namespace

Status ValidateGcConfig(const GcConfig& config) {
  if (config.grace_period.count() < 0) {
    return Status::InvalidArgument("gc: grace period " +
                                   std::to_string(config.grace_period.count()) + "s is negative");
  }
  if (config.minimum_images_to_save < 0) {
    return Status::InvalidArgument("gc: minimum images to save " +
                                   std::to_string(config.minimum_images_to_save) + " is negative");
  }
  return Status::Ok();
}

std::string_view GcReasonName(GcReason reason) {
  switch (reason) {
    case GcReason::kContainerExited:
      return "container_exited";
    case GcReason::kContainerNeverStarted:
      return "container_never_started";
    case GcReason::kImageNotNewest:
      return "image_not_newest";
    case GcReason::kImageDangling:
      return "image_dangling";
    case GcReason::kVolumeAnonymous:
      return "volume_anonymous";
    case GcReason::kVolumeListed:
      return "volume_listed";
    case GcReason::kContainerActive:
      return "container_active";
    case GcReason::kContainerFinishUnknown:
      return "container_finish_unknown";
    case GcReason::kWithinGracePeriod:
      return "within_grace_period";
    case GcReason::kImageInUse:
      return "image_in_use";
    case GcReason::kImageReferencedByService:
      return "image_referenced_by_service";
    case GcReason::kImageReferencesUnknown:
      return "image_references_unknown";
    case GcReason::kImageAmongNewest:
      return "image_among_newest";
    case GcReason::kImageNameUnreadable:
      return "image_name_unreadable";
    case GcReason::kVolumesDisabled:
      return "volumes_disabled";
    case GcReason::kVolumeInUse:
      return "volume_in_use";
    case GcReason::kVolumeNamed:
      return "volume_named";
    case GcReason::kVolumeNotLocal:
      return "volume_not_local";
    case GcReason::kVolumeCreatedUnknown:
      return "volume_created_unknown";
  }
  return "unknown";
}

Result<ImageReference> ParseImageReference(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("image reference '" + std::string(text) +
                                   "': " + std::string(why));
  };
  if (text.empty()) return bad("empty");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return bad("contains a blank");
  }

  ImageReference ref;
  constexpr std::string_view kSha256 = "sha256:";
  if (text.size() == kSha256.size() + 64 && text.substr(0, kSha256.size()) == kSha256 &&
      IsLowerHex(text.substr(kSha256.size()))) {
    ref.id = std::string(text);
    return ref;
  }
  if (text.size() == 64 && IsLowerHex(text)) {
    ref.id = std::string(kSha256) + std::string(text);
    return ref;
  }

  std::string_view name = text;
  if (const auto at = name.find('@'); at != std::string_view::npos) {
    const std::string_view digest = name.substr(at + 1);
    if (!IsValidDigest(digest)) return bad("malformed digest");
    ref.digest = std::string(digest);
    name = name.substr(0, at);
  }
  const auto last_slash = name.rfind('/');
  const auto last_colon = name.rfind(':');
  if (last_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || last_colon > last_slash)) {
    const std::string_view tag = name.substr(last_colon + 1);
    if (!IsValidTag(tag)) return bad("malformed tag");
    ref.tag = std::string(tag);
    name = name.substr(0, last_colon);
  }
  if (name.empty()) return bad("no repository name");

  std::string domain(kDockerHubDomain);
  std::string path(name);
  if (const auto first_slash = name.find('/'); first_slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, first_slash);
    if (LooksLikeRegistry(first)) {
      domain = std::string(first);
      path = std::string(name.substr(first_slash + 1));
    }
  }
  if (domain == kLegacyDockerHubDomain) domain = std::string(kDockerHubDomain);
  // Every path component must be there: "a//b", "a/" and "/a" are not names.
  if (path.empty() || path.front() == '/' || path.back() == '/' ||
      path.find("//") != std::string::npos) {
    return bad("empty path component");
  }
  if (domain == kDockerHubDomain && path.find('/') == std::string::npos) {
    path = std::string(kOfficialImagesPath) + path;
  }
  ref.repository = domain + "/" + path;
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return ref;
}

bool IsAnonymousVolume(const GcVolume& volume) {
  if (volume.labels.count(std::string(kAnonymousVolumeLabel)) > 0) return true;
  return volume.name.size() == 64 && IsLowerHex(volume.name);
}

Result<GcPlan> PlanGc(const GcSnapshot& snapshot, const GcConfig& config, WallTime now) {
  ORC_RETURN_IF_ERROR(ValidateGcConfig(config));
  GcPlan plan;
  PlanContainers(snapshot, config, now, plan);
  PlanImages(snapshot, config, now, plan);
  PlanVolumes(snapshot, config, now, plan);
  for (const auto& item : plan.remove) {
    if (item.size_bytes && *item.size_bytes >= 0) {
      plan.bytes_freed_estimate += *item.size_bytes;
    } else {
      ++plan.removed_with_unknown_size;
    }
  }
  return plan;
}

}  // namespace orcastra::agent
