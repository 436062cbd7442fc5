#include "agent/gc/service.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <utility>

#include "common/cron.h"
#include "common/log.h"
#include "common/time_format.h"
#include "common/utf8.h"

namespace orcastra::agent {
namespace {

using nlohmann::json;

std::string Trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

// Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool IsVolumeName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  if (name.size() < 2 || !alnum(name.front())) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

WallTime FromUnixSeconds(std::int64_t seconds) {
  return WallTime{} + std::chrono::seconds(seconds);
}

std::optional<WallTime> ParseWallTime(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto parsed = ParseRfc3339(text);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

std::string KindName(GcObjectKind kind) {
  switch (kind) {
    case GcObjectKind::kContainer:
      return "container";
    case GcObjectKind::kImage:
      return "image";
    case GcObjectKind::kVolume:
      return "volume";
  }
  return "object";
}

GcItemResult Outcome(const GcItem& item, const Status& status) {
  GcItemResult result{item, GcOutcome::kRemoved, {}};
  if (status.ok()) return result;
  result.error = status.message();
  switch (status.code()) {
    case Status::Code::kNotFound:
      result.outcome = GcOutcome::kGone;
      break;
    case Status::Code::kConflict:
      result.outcome = GcOutcome::kRefused;
      break;
    default:
      result.outcome = GcOutcome::kFailed;
      break;
  }
  return result;
}

// Docker refuses DELETE /images/{id} without force when the image has several references (two
// tags, or tags in two repositories): remove them one by one, the last taking the image with it.
// A container using the image (checked first, since Docker checks the references before the
// containers) makes it Conflict, so that no tag is lost.
Status RemoveImageByReferences(docker::Client& client, const std::string& id) {
  const json filters = {{"ancestor", {id}}};
  auto users =
      client.GetJson("/containers/json?all=1&filters=" + docker::UrlEncode(DumpJson(filters)));
  if (!users.ok()) return users.status();
  if (users->is_array() && !users->empty()) {
    return Status::Conflict("image " + id + " is used by a container since the snapshot");
  }
  auto details = client.InspectImage(id);
  if (!details.ok()) return details.status();
  std::vector<std::string> references;
  for (const auto& tag : details->repo_tags) {
    if (tag != "<none>:<none>") references.push_back(tag);
  }
  for (const auto& digest : details->repo_digests) {
    if (digest != "<none>@<none>") references.push_back(digest);
  }
  for (const auto& reference : references) {
    auto removed = client.RemoveImage(reference);
    if (!removed.ok() && removed.status().code() != Status::Code::kNotFound) {
      return removed.status();
    }
  }
  auto left = client.InspectImage(id);
  if (left.ok()) {
    return Status::Conflict("image " + id + " is still there after removing its references");
  }
  if (left.status().code() == Status::Code::kNotFound) return Status::Ok();
  return left.status();
}

Status RemoveOne(docker::Client& client, const GcItem& item) {
  switch (item.kind) {
    case GcObjectKind::kContainer:
      return client.RemoveContainer(item.id);
    case GcObjectKind::kVolume:
      return client.RemoveVolume(item.id);
    case GcObjectKind::kImage: {
      auto removed = client.RemoveImage(item.id);
      if (removed.ok()) return Status::Ok();
      if (removed.status().code() == Status::Code::kConflict &&
          removed.status().message().find("referenced in multiple repositories") !=
              std::string::npos) {
        return RemoveImageByReferences(client, item.id);
      }
      return removed.status();
    }
  }
  return Status::Internal("unknown object kind");
}

std::string ShortId(const std::string& id) {
  std::string_view s = id;
  if (s.substr(0, 7) == "sha256:") s.remove_prefix(7);
  return std::string(s.substr(0, 12));
}

// "web, sha256:1234abcd5678 (none), ..." capped so that one event stays small.
std::string NameList(const std::vector<GcItemResult>& items, GcObjectKind kind, GcOutcome outcome) {
  constexpr std::size_t kMaxChars = 2000;
  std::string out;
  int left_out = 0;
  for (const auto& r : items) {
    if (r.item.kind != kind || r.outcome != outcome) continue;
    std::string name =
        r.item.name.empty() || r.item.name == "<none>" ? ShortId(r.item.id) : r.item.name;
    if (out.size() + name.size() + 2 > kMaxChars) {
      ++left_out;
      continue;
    }
    if (!out.empty()) out += ", ";
    out += name;
  }
  if (left_out > 0) out += " and " + std::to_string(left_out) + " more";
  return out;
}

std::string Bytes(std::int64_t bytes) {
  const double b = static_cast<double>(bytes);
  char text[32];
  if (bytes >= (1LL << 30)) {
    std::snprintf(text, sizeof text, "%.1f GiB", b / (1LL << 30));
  } else if (bytes >= (1LL << 20)) {
    std::snprintf(text, sizeof text, "%.1f MiB", b / (1LL << 20));
  } else if (bytes >= (1LL << 10)) {
    std::snprintf(text, sizeof text, "%.1f KiB", b / (1LL << 10));
  } else {
    std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  }
  return text;
}

// The offset of local time from UTC now (TZ; UTC in a container without one).
std::chrono::minutes LocalUtcOffset(WallTime at) {
  std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  if (localtime_r(&t, &local) == nullptr) return std::chrono::minutes(0);
  return std::chrono::minutes(local.tm_gmtoff / 60);
}

protocol::Event MakeEvent(std::string kind, std::string subject, std::string message) {
  protocol::Event event;
  event.kind = std::move(kind);
  event.subject = std::move(subject);
  event.message = std::move(message);
  return event;
}

}  // namespace

GcConfig GcOptions::DefaultGcConfig() {
  GcConfig config;
  config.grace_period = kDefaultGcGracePeriod;
  config.minimum_images_to_save = kDefaultGcMinimumImagesToSave;
  config.clean_up_volumes = false;
  return config;
}

Result<GcOptions> GcOptionsFromEnv(const EnvLookup& env) {
  const EnvReader reader(env);
  GcOptions options;
  ORC_RETURN_IF_ERROR(reader.ReadBool("GC_ENABLED", &options.enabled));
  ORC_RETURN_IF_ERROR(reader.ReadBool("GC_CLEAN_UP_VOLUMES", &options.plan.clean_up_volumes));
  if (auto name = reader.FirstSet({"GC_DRY_RUN", "DRY_RUN"})) {
    ORC_RETURN_IF_ERROR(reader.ReadBool(*name, &options.dry_run));
  }
  if (auto v = reader.Get("GC_CRON")) {
    auto schedule = CronSchedule::Parse(*v);
    if (!schedule.ok()) return schedule.status().WithContext("GC_CRON");
    options.cron = Trim(*v);
  }
  // Up to a year: a longer grace period would keep everything, which GC_ENABLED=false says better.
  if (auto v = reader.Get("GC_GRACE_PERIOD_SECONDS")) {
    auto parsed = ParseDurationIn(Trim(*v), std::chrono::seconds(1), std::chrono::seconds(0),
                                  std::chrono::hours(24 * 366), "GC_GRACE_PERIOD_SECONDS");
    if (!parsed.ok()) return parsed.status();
    options.plan.grace_period = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
  }
  if (auto v = reader.Get("GC_MINIMUM_IMAGES_TO_SAVE")) {
    auto parsed = ParseInt(Trim(*v), 0, 1000000, "GC_MINIMUM_IMAGES_TO_SAVE");
    if (!parsed.ok()) return parsed.status();
    options.plan.minimum_images_to_save = static_cast<int>(*parsed);
  }
  if (auto v = reader.Get("GC_REMOVABLE_VOLUMES")) {
    std::string_view rest = *v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string name = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (name.empty()) continue;
      if (!IsVolumeName(name)) {
        return Status::InvalidArgument("GC_REMOVABLE_VOLUMES: '" + name +
                                       "' is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
      }
      options.plan.removable_volumes.insert(std::move(name));
    }
  }
  Status valid = ValidateGcConfig(options.plan);
  if (!valid.ok()) return valid;
  return options;
}

std::optional<std::set<std::string>> LocalServiceImageRefs(docker::Client& client) {
  auto services = client.Services();
  if (!services.ok()) {
    Logger("gc")->debug("service image references unknown: {}", services.status().ToString());
    return std::nullopt;
  }
  return ServiceImageRefs(*services);
}

GcSnapshot AssembleGcSnapshot(const std::vector<docker::ContainerSummary>& containers,
                              const std::map<std::string, std::string>& finished_at,
                              const std::vector<docker::ImageSummary>& images,
                              const std::vector<docker::Volume>& volumes,
                              const docker::DiskUsage& usage,
                              std::optional<std::set<std::string>> service_refs) {
  GcSnapshot snapshot;
  std::map<std::string, const docker::ContainerSummary*> container_usage;
  for (const auto& c : usage.containers) container_usage[c.id] = &c;
  for (const auto& c : containers) {
    GcContainer gc{c.id,         c.name,         c.state,  c.image_id, FromUnixSeconds(c.created),
                   std::nullopt, c.volume_names, c.labels, c.size_rw};
    if (auto it = finished_at.find(c.id); it != finished_at.end()) {
      gc.finished_at = ParseWallTime(it->second);
    }
    if (auto it = container_usage.find(c.id); it != container_usage.end() && it->second->size_rw) {
      gc.size_bytes = it->second->size_rw;
    }
    snapshot.containers.push_back(std::move(gc));
  }

  std::map<std::string, const docker::ImageSummary*> image_usage;
  for (const auto& i : usage.images) image_usage[i.id] = &i;
  for (const auto& i : images) {
    GcImage gc{i.id,           i.repo_tags,
               i.repo_digests, FromUnixSeconds(i.created),
               i.size,         i.containers.value_or(0) > 0};
    if (auto it = image_usage.find(i.id); it != image_usage.end()) {
      gc.used_by_container = gc.used_by_container || it->second->containers.value_or(0) > 0;
    }
    snapshot.images.push_back(std::move(gc));
  }

  std::map<std::string, const docker::Volume*> volume_usage;
  for (const auto& v : usage.volumes) volume_usage[v.name] = &v;
  for (const auto& v : volumes) {
    GcVolume gc{
        v.name,   v.driver,    ParseWallTime(v.created_at), v.usage_ref_count.value_or(0) > 0,
        v.labels, v.usage_size};
    if (auto it = volume_usage.find(v.name); it != volume_usage.end()) {
      gc.in_use = gc.in_use || it->second->usage_ref_count.value_or(0) > 0;
      if (it->second->usage_size) gc.size_bytes = it->second->usage_size;
    }
    snapshot.volumes.push_back(std::move(gc));
  }

  snapshot.referenced_images_known = service_refs.has_value();
  if (service_refs) {
    snapshot.referenced_images.assign(service_refs->begin(), service_refs->end());
  }
  return snapshot;
}

Result<GcSnapshot> TakeGcSnapshot(docker::Client& client,
                                  std::optional<std::set<std::string>> service_refs,
                                  std::string unknown_why) {
  auto listed = client.Containers(/*all=*/true);
  if (!listed.ok()) return listed.status();
  std::vector<docker::ContainerSummary> containers;
  std::map<std::string, std::string> finished_at;
  for (auto& c : *listed) {
    if (c.state == "exited" || c.state == "dead") {
      auto details = client.InspectContainer(c.id);
      if (!details.ok()) {
        if (details.status().code() == Status::Code::kNotFound) continue;  // removed meanwhile
        return details.status();
      }
      finished_at[c.id] = details->finished_at;
    }
    containers.push_back(std::move(c));
  }
  auto images = client.Images();
  if (!images.ok()) return images.status();
  auto volumes = client.Volumes();
  if (!volumes.ok()) return volumes.status();
  // Sizes and usage counts: only /system/df computes them.
  auto usage = client.SystemDiskUsage();
  if (!usage.ok()) return usage.status();
  const bool known = service_refs.has_value();
  GcSnapshot snapshot = AssembleGcSnapshot(containers, finished_at, *images, *volumes, *usage,
                                           std::move(service_refs));
  if (!known) snapshot.referenced_images_unknown_why = std::move(unknown_why);
  return snapshot;
}

std::string_view GcOutcomeName(GcOutcome outcome) {
  switch (outcome) {
    case GcOutcome::kRemoved:
      return "removed";
    case GcOutcome::kWouldRemove:
      return "would_remove";
    case GcOutcome::kGone:
      return "gone";
    case GcOutcome::kRefused:
      return "refused";
    case GcOutcome::kFailed:
      return "failed";
  }
  return "unknown";
}

int GcExecution::Count(GcOutcome outcome) const {
  return static_cast<int>(std::count_if(
      items.begin(), items.end(), [&](const GcItemResult& r) { return r.outcome == outcome; }));
}

GcExecution ExecuteGcPlan(docker::Client& client, const GcPlan& plan, bool dry_run) {
  GcExecution execution;
  for (const auto& item : plan.remove) {
    GcItemResult result = dry_run ? GcItemResult{item, GcOutcome::kWouldRemove, {}}
                                  : Outcome(item, RemoveOne(client, item));
    const bool freed =
        result.outcome == GcOutcome::kRemoved || result.outcome == GcOutcome::kWouldRemove;
    if (freed && item.size_bytes && *item.size_bytes > 0) execution.bytes_freed += *item.size_bytes;
    execution.items.push_back(std::move(result));
  }
  return execution;
}

std::string GcCountsText(const std::vector<GcItemResult>& items, GcOutcome outcome) {
  int counts[3] = {0, 0, 0};
  for (const auto& r : items) {
    if (r.outcome == outcome) ++counts[static_cast<int>(r.item.kind)];
  }
  static constexpr const char* kNames[3][2] = {
      {"container", "containers"}, {"image", "images"}, {"volume", "volumes"}};
  std::string out;
  for (int k = 0; k < 3; ++k) {
    if (!out.empty()) out += ", ";
    out += std::to_string(counts[k]) + " " + kNames[k][counts[k] == 1 ? 0 : 1];
  }
  return out;
}

GarbageCollector::GarbageCollector(std::string docker_socket, GcOptions options,
                                   ServiceRefs service_refs, Report report)
    : Service("gc"),
      docker_socket_(std::move(docker_socket)),
      options_(std::move(options)),
      service_refs_(std::move(service_refs)),
      report_(std::move(report)) {}

void GarbageCollector::RunNow() {
  {
    std::lock_guard lock(mutex_);
    run_requested_ = true;
  }
  Wake();
}

bool GarbageCollector::TakeRunRequest() {
  std::lock_guard lock(mutex_);
  return std::exchange(run_requested_, false);
}

void GarbageCollector::Run(std::stop_token stop) {
  auto log = Logger("gc");
  std::optional<CronSchedule> schedule;
  if (auto parsed = CronSchedule::Parse(options_.cron); parsed.ok()) {
    schedule = std::move(parsed).value();
  } else {
    log->error("GC_CRON: {}; only on-demand runs", parsed.status().ToString());
  }
  const GcConfig& c = options_.plan;
  std::string volumes = "off";
  if (c.clean_up_volumes) {
    volumes = "anonymous";
    for (const auto& name : c.removable_volumes) volumes += ", '" + name + "'";
  }
  log->info(
      "gc {}: cron '{}', grace period {} s, newest {} images per repository kept, volumes {}{}",
      options_.enabled ? "on" : "off", options_.cron, c.grace_period.count(),
      c.minimum_images_to_save, volumes, options_.dry_run ? ", dry run" : "");
  docker::Client docker({.socket_path = docker_socket_});
  while (!stop.stop_requested()) {
    std::optional<WallTime> next;
    if (options_.enabled && schedule) {
      const WallTime now = std::chrono::system_clock::now();
      auto found = schedule->Next(now, LocalUtcOffset(now));
      if (found.ok()) {
        next = *found;
      } else {
        log->error("GC_CRON '{}' never runs: {}", options_.cron, found.status().ToString());
      }
    }
    // Wait for the cron time or RunNow(). The wall clock may jump: look at it at least every
    // minute instead of sleeping until `next` on the steady clock.
    std::string_view trigger;
    while (trigger.empty()) {
      if (TakeRunRequest()) {
        trigger = "on demand";
        break;
      }
      std::chrono::milliseconds wait = std::chrono::minutes(1);
      if (next) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *next - std::chrono::system_clock::now());
        if (left.count() <= 0) {
          trigger = "cron";
          break;
        }
        wait = std::min(wait, left);
      }
      if (!WaitFor(stop, wait)) return;
    }
    if (!options_.enabled) {
      log->warn("gc run asked for {} but GC_ENABLED is false", trigger);
      auto event = MakeEvent("gc_failed", "", "gc is disabled on this node (GC_ENABLED=false)");
      event.attrs["trigger"] = std::string(trigger);
      report_(std::move(event));
      continue;
    }
    RunOnce(docker, trigger);
  }
}

void GarbageCollector::RunOnce(docker::Client& docker, std::string_view trigger) {
  auto log = Logger("gc");
  const bool dry_run = options_.dry_run;
  log->info("gc run started ({}){}", trigger, dry_run ? ", dry run" : "");
  {
    auto event = MakeEvent("gc_started", "", "gc started (" + std::string(trigger) + ")");
    event.attrs["trigger"] = std::string(trigger);
    event.attrs["dry_run"] = dry_run ? "true" : "false";
    report_(std::move(event));
  }
  auto fail = [&](const Status& status) {
    counters_.failed_runs.fetch_add(1, std::memory_order_relaxed);
    log->error("gc run failed, nothing removed: {}", status.ToString());
    auto event = MakeEvent("gc_failed", "", "nothing removed: " + status.ToString());
    event.attrs["trigger"] = std::string(trigger);
    report_(std::move(event));
  };
  KnownServiceRefs refs =
      service_refs_ ? service_refs_() : KnownServiceRefs{std::nullopt, "no source of references"};
  auto snapshot = TakeGcSnapshot(docker, std::move(refs.refs), std::move(refs.unknown_why));
  if (!snapshot.ok()) return fail(snapshot.status());
  if (auto skipped = ImagesSkippedEvent(*snapshot, trigger)) {
    log->warn("{}", skipped->message);
    report_(std::move(*skipped));
  }
  auto plan = PlanGc(*snapshot, options_.plan, std::chrono::system_clock::now());
  if (!plan.ok()) return fail(plan.status());
  for (const auto& note : plan->notes) log->info("{}", note);
  for (const auto& item : plan->keep) {
    log->debug("keep {} '{}': {} ({})", KindName(item.kind), item.name, GcReasonName(item.reason),
               item.detail);
  }

  GcExecution execution = ExecuteGcPlan(docker, *plan, dry_run);
  counters_.runs.fetch_add(1, std::memory_order_relaxed);
  for (const auto& r : execution.items) {
    std::string what = KindName(r.item.kind) + " '" + r.item.name + "' (";
    if (r.item.kind != GcObjectKind::kVolume) what += ShortId(r.item.id) + ", ";
    what += r.item.detail + ")";
    switch (r.outcome) {
      case GcOutcome::kRemoved:
        (r.item.kind == GcObjectKind::kContainer ? counters_.containers_removed
         : r.item.kind == GcObjectKind::kImage   ? counters_.images_removed
                                                 : counters_.volumes_removed)
            .fetch_add(1, std::memory_order_relaxed);
        log->info("removed {}", what);
        break;
      case GcOutcome::kWouldRemove:
        log->info("dry run: would remove {}", what);
        break;
      case GcOutcome::kGone:
      case GcOutcome::kRefused:
        log->info("skipped {}: {}", what, r.error);
        break;
      case GcOutcome::kFailed: {
        counters_.removal_failures.fetch_add(1, std::memory_order_relaxed);
        log->error("could not remove {}: {}", what, r.error);
        auto event = MakeEvent("gc_failed", r.item.id, r.error);
        event.attrs["kind"] = KindName(r.item.kind);
        event.attrs["name"] = r.item.name;
        event.attrs["reason"] = std::string(GcReasonName(r.item.reason));
        report_(std::move(event));
        break;
      }
    }
  }

  const GcOutcome done = dry_run ? GcOutcome::kWouldRemove : GcOutcome::kRemoved;
  const std::string counts = GcCountsText(execution.items, done);
  const int skipped = execution.Count(GcOutcome::kGone) + execution.Count(GcOutcome::kRefused);
  const int failed = execution.Count(GcOutcome::kFailed);
  std::string message = dry_run ? "dry run: would remove " + counts + ", freeing about " +
                                      Bytes(execution.bytes_freed) + " (estimate)"
                                : "removed " + counts + ", freed about " +
                                      Bytes(execution.bytes_freed) + " (estimate)";
  if (skipped > 0) message += "; " + std::to_string(skipped) + " skipped (gone or in use)";
  if (failed > 0) message += "; " + std::to_string(failed) + " failed";
  if (!snapshot->referenced_images_known) {
    message += "; no image removed: service references unknown";
    if (!snapshot->referenced_images_unknown_why.empty()) {
      message += " (" + snapshot->referenced_images_unknown_why + ")";
    }
  }
  if (!dry_run && execution.bytes_freed > 0) {
    counters_.bytes_freed.fetch_add(static_cast<std::uint64_t>(execution.bytes_freed),
                                    std::memory_order_relaxed);
  }
  log->info("{}", message);
  auto event = MakeEvent(dry_run ? "gc_dry_run" : "gc_removed", "", message);
  event.attrs["trigger"] = std::string(trigger);
  event.attrs["bytes_freed"] = std::to_string(execution.bytes_freed);
  event.attrs["containers"] = NameList(execution.items, GcObjectKind::kContainer, done);
  event.attrs["images"] = NameList(execution.items, GcObjectKind::kImage, done);
  event.attrs["volumes"] = NameList(execution.items, GcObjectKind::kVolume, done);
  event.attrs["skipped"] = std::to_string(skipped);
  event.attrs["failed"] = std::to_string(failed);
  event.attrs["kept"] = std::to_string(plan->keep.size());
  report_(std::move(event));
}

GarbageCollector::ServiceRefs LocalServiceImageRefsProvider(std::string docker_socket) {
  return [socket = std::move(docker_socket)]() -> KnownServiceRefs {
    docker::Client client({.socket_path = socket});
    auto refs = LocalServiceImageRefs(client);
    if (refs) return {std::move(refs), ""};
    return {std::nullopt, "this daemon cannot list services"};
  };
}

void LeaderServiceImages::Set(const std::vector<std::string>& refs, SteadyTime now) {
  std::lock_guard lock(mutex_);
  refs_ = std::set<std::string>(refs.begin(), refs.end());
  received_at_ = now;
}

KnownServiceRefs LeaderServiceImages::Lookup(SteadyTime now,
                                             std::chrono::milliseconds max_age) const {
  std::lock_guard lock(mutex_);
  if (!refs_) return {std::nullopt, "no service image references received from a leader yet"};
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - received_at_);
  if (age > max_age) {
    return {std::nullopt, "the leader's service image references are " +
                              std::to_string(age.count() / 1000) + " s old, over the bound of " +
                              std::to_string(max_age.count() / 1000) +
                              " s (leaders resend them every " +
                              std::to_string(protocol::kServiceImagesResendInterval.count()) +
                              " s: is an active leader reachable?)"};
  }
  return {refs_, ""};
}

std::int64_t LeaderServiceImages::AgeMs(SteadyTime now) const {
  std::lock_guard lock(mutex_);
  if (!refs_) return -1;
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - received_at_);
  return std::max<std::int64_t>(age.count(), 0);
}

GarbageCollector::ServiceRefs ServiceImageRefsProvider(
    std::string docker_socket, std::shared_ptr<const LeaderServiceImages> from_leader) {
  return [socket = std::move(docker_socket), from_leader]() -> KnownServiceRefs {
    docker::Client client({.socket_path = socket});
    if (auto local = LocalServiceImageRefs(client)) return {std::move(local), ""};
    SystemClock clock;
    KnownServiceRefs refs = from_leader->Lookup(clock.Now(), kMaxLeaderImagesAge);
    Logger("gc")->debug("service image references from the leader: {}",
                        refs.refs ? std::to_string(refs.refs->size()) : refs.unknown_why);
    if (!refs.refs) {
      refs.unknown_why = "this daemon cannot list services (a worker) and " + refs.unknown_why;
    }
    return refs;
  };
}

std::optional<protocol::Event> ImagesSkippedEvent(const GcSnapshot& snapshot,
                                                  std::string_view trigger) {
  if (snapshot.referenced_images_known) return std::nullopt;
  std::string why = snapshot.referenced_images_unknown_why.empty()
                        ? std::string("the service image references are not known")
                        : snapshot.referenced_images_unknown_why;
  auto event =
      MakeEvent("gc_images_skipped", "", "unreferenced images not collected this run: " + why);
  event.attrs["trigger"] = std::string(trigger);
  event.attrs["reason"] = std::move(why);
  return event;
}

}  // namespace orcastra::agent
