// Garbage collection against a real daemon (the lab's m1, Docker 20.10): images committed from the
// lab's busybox into one repository (v1..v5, one second apart, v1 with a second tag), a dangling
// commit, a 0-replica service naming v2, exited containers (old and just exited), anonymous and
// named volumes (used and unused, listed and not). A dry run must change nothing and plan exactly
// the expected set; a real run must remove exactly that set and report bytes freed. Everything the
// test creates carries a per-run name and is removed at the end, also on failure.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <random>
#include <thread>

#include "agent/gc/service.h"
#include "common/docker_client.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    FAIL(std::string(name) + " is not set; run through tests/integration/with_lab");
    return {};
  }
  return value;
}

std::string RunId() {
  std::random_device random;
  char text[16];
  std::snprintf(text, sizeof text, "%d%04x", static_cast<int>(getpid()) % 100000,
                random() & 0xffffu);
  return text;
}

// POST `path` with `body`, require `expected` status; the answer's JSON (or null).
json Post(docker::Client& docker, const std::string& path, const json& body, long expected) {
  auto response = docker.Call("POST", path, body.is_null() ? "" : body.dump());
  REQUIRE(response.ok());
  INFO("POST " << path << ": " << response->body);
  REQUIRE(response->http_status == expected);
  return response->body.empty() ? json() : json::parse(response->body, nullptr, false);
}

// Removes everything the test made, whatever happened: services, containers (forced, with their
// anonymous volumes), images (forced, all tags), volumes.
class Cleanup {
 public:
  explicit Cleanup(docker::Client& docker) : docker_(docker) {}
  ~Cleanup() {
    for (const auto& id : services_) (void)docker_.Call("DELETE", "/services/" + id);
    for (const auto& id : containers_)
      (void)docker_.Call("DELETE", "/containers/" + id + "?force=1&v=1");
    for (auto it = images_.rbegin(); it != images_.rend(); ++it) {
      (void)docker_.Call("DELETE", "/images/" + *it + "?force=1");
    }
    for (const auto& name : volumes_) (void)docker_.Call("DELETE", "/volumes/" + name + "?force=1");
  }
  void Service(std::string id) { services_.push_back(std::move(id)); }
  void Container(std::string id) { containers_.push_back(std::move(id)); }
  void Image(std::string id) { images_.push_back(std::move(id)); }
  void Volume(std::string name) { volumes_.push_back(std::move(name)); }

 private:
  docker::Client& docker_;
  std::vector<std::string> services_, containers_, images_, volumes_;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> cmd;
  std::vector<std::string> binds;           // "volume:/path"
  std::vector<std::string> anonymous_dirs;  // VOLUME-like mount points
};

// Creates and starts a container; with `wait`, waits for it to exit.
std::string RunContainer(docker::Client& docker, Cleanup& cleanup, const ContainerSpec& spec,
                         bool wait) {
  json body = {{"Image", spec.image}, {"Cmd", spec.cmd}, {"HostConfig", json::object()}};
  if (!spec.binds.empty()) body["HostConfig"]["Binds"] = spec.binds;
  if (!spec.anonymous_dirs.empty()) {
    body["Volumes"] = json::object();
    for (const auto& dir : spec.anonymous_dirs) body["Volumes"][dir] = json::object();
  }
  json created = Post(docker, "/containers/create?name=" + spec.name, body, 201);
  std::string id = created["Id"].get<std::string>();
  cleanup.Container(id);
  Post(docker, "/containers/" + id + "/start", nullptr, 204);
  if (wait) Post(docker, "/containers/" + id + "/wait", nullptr, 200);
  return id;
}

// The names of the anonymous volumes a container mounts.
std::vector<std::string> AnonymousVolumesOf(docker::Client& docker, const std::string& id) {
  auto details = docker.GetJson("/containers/" + id + "/json");
  REQUIRE(details.ok());
  std::vector<std::string> names;
  for (const auto& m : (*details)["Mounts"]) {
    if (m["Type"] == "volume" && m["Name"].get<std::string>().size() == 64) {
      names.push_back(m["Name"].get<std::string>());
    }
  }
  return names;
}

// An unused anonymous volume, made the way it happens in practice: a container's VOLUME whose
// container is removed without its volumes.
std::string OrphanAnonymousVolume(docker::Client& docker, Cleanup& cleanup, const std::string& name,
                                  const std::string& image) {
  std::string id = RunContainer(
      docker, cleanup, {name, image, {"sh", "-c", "echo x > /data/x"}, {}, {"/data"}}, true);
  auto volumes = AnonymousVolumesOf(docker, id);
  REQUIRE(volumes.size() == 1);
  cleanup.Volume(volumes[0]);
  REQUIRE(docker.RemoveContainer(id).ok());
  return volumes[0];
}

// Everything the daemon holds, by identity: containers by id, images by id and tags, volumes by
// name.
struct Listing {
  std::set<std::string> containers;
  std::set<std::string> images;  // "id tag tag ..."
  std::set<std::string> image_ids;
  std::set<std::string> volumes;
  bool operator==(const Listing&) const = default;
};

Listing List(docker::Client& docker) {
  Listing listing;
  auto containers = docker.Containers(true);
  REQUIRE(containers.ok());
  for (const auto& c : *containers) listing.containers.insert(c.id + " " + c.state);
  auto images = docker.Images();
  REQUIRE(images.ok());
  for (const auto& i : *images) {
    std::string key = i.id;
    for (const auto& t : i.repo_tags) key += " " + t;
    listing.images.insert(key);
    listing.image_ids.insert(i.id);
  }
  auto volumes = docker.Volumes();
  REQUIRE(volumes.ok());
  for (const auto& v : *volumes) listing.volumes.insert(v.name);
  return listing;
}

std::set<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

std::set<std::string> ContainerIds(const std::set<std::string>& keys) {
  std::set<std::string> out;
  for (const auto& k : keys) out.insert(k.substr(0, k.find(' ')));
  return out;
}

// "a, b" -> {a, b}
std::set<std::string> SplitList(const std::string& text) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(", ", start);
    if (end == std::string::npos) end = text.size();
    out.insert(text.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

// The ids of the removed items of a plan or execution, per kind.
struct Removed {
  std::set<std::string> containers, images, volumes;
  bool operator==(const Removed&) const = default;
};

Removed IdsOf(const std::vector<GcItem>& items) {
  Removed r;
  for (const auto& item : items) {
    switch (item.kind) {
      case GcObjectKind::kContainer:
        r.containers.insert(item.id);
        break;
      case GcObjectKind::kImage:
        r.images.insert(item.id);
        break;
      case GcObjectKind::kVolume:
        r.volumes.insert(item.id);
        break;
    }
  }
  return r;
}

std::string Describe(const Removed& r) {
  std::string out;
  for (const auto* set : {&r.containers, &r.images, &r.volumes}) {
    out += "[";
    for (const auto& id : *set) out += id.substr(0, 19) + " ";
    out += "] ";
  }
  return out;
}

// Collects the events of a GarbageCollector.
class Events {
 public:
  GarbageCollector::Report Sink() {
    return [this](protocol::Event e) {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(e));
    };
  }
  // Waits up to `limit` for an event of `kind`.
  std::optional<protocol::Event> WaitFor(const std::string& kind, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      {
        std::lock_guard lock(mutex_);
        for (const auto& e : events_) {
          if (e.kind == kind) return e;
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(100ms);
    }
  }
  std::vector<protocol::Event> All() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<protocol::Event> events_;
};

TEST_CASE("gc removes exactly the garbage on a real daemon; dry run removes nothing",
          "[integration][gc]") {
  const std::string socket = Env("ORCASTRA_TEST_DOCKER_SOCKET");
  const std::string base_image = Env("ORCASTRA_TEST_IMAGE");
  docker::Client docker({.socket_path = socket});
  Cleanup cleanup(docker);
  const std::string run = RunId();
  const std::string prefix = "orcastra-it-gc-" + run + "-";
  const std::string repo = "198.51.100.1:5000/gctest/app-" + run;
  INFO("run " << run);

  GcOptions options;
  options.plan.grace_period = 15s;
  options.plan.minimum_images_to_save = 2;
  options.plan.clean_up_volumes = true;
  options.plan.removable_volumes = {prefix + "listed", prefix + "used-listed",
                                    prefix + "fresh-listed"};

  // Whatever the daemon already holds that these rules would collect (nothing on a fresh lab).
  auto baseline_snapshot = TakeGcSnapshot(docker, LocalServiceImageRefs(docker));
  REQUIRE(baseline_snapshot.ok());
  auto baseline = PlanGc(*baseline_snapshot, options.plan, std::chrono::system_clock::now());
  REQUIRE(baseline.ok());
  Removed expected = IdsOf(baseline->remove);
  if (!baseline->remove.empty()) WARN("garbage already on the daemon: " << Describe(expected));

  // Images v1..v5 of one repository, created a second apart (/images/json counts in seconds).
  std::map<int, std::string> version;
  for (int k = 1; k <= 5; ++k) {
    std::string id = RunContainer(
        docker, cleanup,
        {prefix + "src" + std::to_string(k),
         base_image,
         {"sh", "-c", "echo " + std::to_string(k) + " > /version-" + std::to_string(k)},
         {},
         {}},
        true);
    json commit =
        Post(docker, "/commit?container=" + id + "&repo=" + repo + "&tag=v" + std::to_string(k),
             nullptr, 201);
    version[k] = commit["Id"].get<std::string>();
    cleanup.Image(version[k]);
    REQUIRE(docker.RemoveContainer(id).ok());
    std::this_thread::sleep_for(1100ms);
  }
  // v1 with a second tag: Docker refuses to remove an image with two references by id.
  Post(docker, "/images/" + version[1] + "/tag?repo=" + repo + "&tag=v1-alias", nullptr, 201);
  std::string dangling;
  {
    std::string id = RunContainer(
        docker, cleanup, {prefix + "src-dangling", base_image, {"sh", "-c", "echo d > /d"}, {}, {}},
        true);
    dangling = Post(docker, "/commit?container=" + id, nullptr, 201)["Id"].get<std::string>();
    cleanup.Image(dangling);
    REQUIRE(docker.RemoveContainer(id).ok());
  }

  // Old garbage and old keepers.
  std::string old1 =
      RunContainer(docker, cleanup, {prefix + "old1", base_image, {"true"}, {}, {}}, true);
  std::string old2 = RunContainer(
      docker, cleanup, {prefix + "old2", base_image, {"sh", "-c", "exit 3"}, {}, {}}, true);
  std::string old_anonymous =
      OrphanAnonymousVolume(docker, cleanup, prefix + "anon-src", base_image);
  for (const char* suffix : {"keep", "listed", "used-listed"}) {
    Post(docker, "/volumes/create", {{"Name", prefix + suffix}}, 201);
    cleanup.Volume(prefix + suffix);
  }
  std::string running = RunContainer(docker, cleanup,
                                     {prefix + "running",
                                      base_image,
                                      {"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"},
                                      {prefix + "used-listed:/u"},
                                      {"/anon"}},
                                     false);
  for (const auto& v : AnonymousVolumesOf(docker, running)) cleanup.Volume(v);
  json service = {{"Name", prefix + "svc"},
                  {"TaskTemplate", {{"ContainerSpec", {{"Image", repo + ":v2"}}}}},
                  {"Mode", {{"Replicated", {{"Replicas", 0}}}}}};
  cleanup.Service(Post(docker, "/services/create", service, 201)["ID"].get<std::string>());

  // Let the old objects age past the grace period, then make fresh ones that must stay.
  std::this_thread::sleep_for(options.plan.grace_period + 1s);
  std::string fresh =
      RunContainer(docker, cleanup, {prefix + "fresh", base_image, {"true"}, {}, {}}, true);
  std::string fresh_v3 =
      RunContainer(docker, cleanup, {prefix + "fresh-v3", repo + ":v3", {"true"}, {}, {}}, true);
  std::string fresh_anonymous =
      OrphanAnonymousVolume(docker, cleanup, prefix + "fresh-anon-src", base_image);
  Post(docker, "/volumes/create", {{"Name", prefix + "fresh-listed"}}, 201);
  cleanup.Volume(prefix + "fresh-listed");
  const auto fresh_made = std::chrono::steady_clock::now();

  // Garbage: old1, old2; v1 (not among the newest 2, unreferenced) and the dangling commit; the old
  // anonymous volume and the listed unused one. Kept: v2 (the service), v3 (a container uses it),
  // v4 and v5 (newest 2), busybox (used), the fresh ones (grace), `keep` (named, not listed),
  // `used-listed` and the running container's anonymous volume (in use).
  expected.containers.insert({old1, old2});
  expected.images.insert({version[1], dangling});
  expected.volumes.insert({old_anonymous, prefix + "listed"});

  const Listing before = List(docker);
  // v1 has two tags when it is removed: Docker refuses that by id without force, so the removal
  // must go reference by reference.
  CHECK(std::count_if(before.images.begin(), before.images.end(), [&](const std::string& key) {
          return key.rfind(version[1], 0) == 0 && key.find(":v1-alias") != std::string::npos;
        }) == 1);

  // The plan, directly.
  auto refs = LocalServiceImageRefs(docker);
  REQUIRE(refs.has_value());
  CHECK(refs->count(repo + ":v2") == 1);
  auto snapshot = TakeGcSnapshot(docker, refs);
  REQUIRE(snapshot.ok());
  auto plan = PlanGc(*snapshot, options.plan, std::chrono::system_clock::now());
  REQUIRE(plan.ok());
  for (const auto& item : plan->keep) {
    UNSCOPED_INFO("keep " << item.name << ": " << GcReasonName(item.reason) << " " << item.detail);
  }
  INFO("expected " << Describe(expected) << "\nplanned " << Describe(IdsOf(plan->remove)));
  CHECK(IdsOf(plan->remove) == expected);

  // Dry run through the service, on demand: reports what would go and removes nothing.
  {
    GcOptions dry = options;
    dry.dry_run = true;
    Events events;
    GarbageCollector gc(socket, dry, LocalServiceImageRefsProvider(socket), events.Sink());
    gc.Start();
    gc.RunNow();
    auto reported = events.WaitFor("gc_dry_run", 60s);
    gc.Stop();
    REQUIRE(reported.has_value());
    CHECK(events.WaitFor("gc_started", 0s).has_value());
    CHECK_FALSE(events.WaitFor("gc_failed", 0s).has_value());
    INFO(reported->message);
    CHECK(reported->message.rfind("dry run: would remove 2 containers, 2 images, 2 volumes", 0) ==
          0);
    CHECK(SplitList(reported->attrs.at("containers")) ==
          std::set<std::string>{prefix + "old1", prefix + "old2"});
    CHECK(SplitList(reported->attrs.at("volumes")) ==
          std::set<std::string>{old_anonymous, prefix + "listed"});
    CHECK(std::stoll(reported->attrs.at("bytes_freed")) > 0);
    CHECK(List(docker) == before);
  }
  // ExecuteGcPlan's own dry run calls nothing either.
  GcExecution dry_execution = ExecuteGcPlan(docker, *plan, /*dry_run=*/true);
  CHECK(dry_execution.Count(GcOutcome::kWouldRemove) == static_cast<int>(plan->remove.size()));
  CHECK(List(docker) == before);

  // The real run, through the service.
  Events events;
  GarbageCollector gc(socket, options, LocalServiceImageRefsProvider(socket), events.Sink());
  gc.Start();
  gc.RunNow();
  auto reported = events.WaitFor("gc_removed", 120s);
  gc.Stop();
  // The fresh objects had to be inside the grace period for the whole run.
  REQUIRE(std::chrono::steady_clock::now() - fresh_made < options.plan.grace_period);
  REQUIRE(reported.has_value());
  for (const auto& e : events.All()) UNSCOPED_INFO(e.kind << " " << e.subject << ": " << e.message);
  CHECK_FALSE(events.WaitFor("gc_failed", 0s).has_value());
  CHECK(reported->message.rfind("removed 2 containers, 2 images, 2 volumes, freed about ", 0) == 0);
  CHECK(std::stoll(reported->attrs.at("bytes_freed")) > 0);
  CHECK(SplitList(reported->attrs.at("containers")) ==
        std::set<std::string>{prefix + "old1", prefix + "old2"});
  CHECK(SplitList(reported->attrs.at("images")) ==
        std::set<std::string>{repo + ":v1", dangling.substr(7, 12)});
  CHECK(reported->attrs.at("skipped") == "0");
  CHECK(reported->attrs.at("failed") == "0");

  const Listing after = List(docker);
  Removed removed{ContainerIds(Minus(before.containers, after.containers)),
                  Minus(before.image_ids, after.image_ids), Minus(before.volumes, after.volumes)};
  INFO("removed " << Describe(removed));
  CHECK(removed == expected);
  // Nothing appeared, and what stayed is untouched (same state, same tags).
  CHECK(Minus(after.containers, before.containers).empty());
  CHECK(Minus(after.volumes, before.volumes).empty());
  std::set<std::string> kept_images;
  for (const auto& key : before.images) {
    if (expected.images.count(key.substr(0, key.find(' '))) == 0) kept_images.insert(key);
  }
  CHECK(after.images == kept_images);
  for (const auto& id : {fresh, fresh_v3, running}) {
    CHECK(docker.InspectContainer(id).ok());
  }
  CHECK(after.volumes.count(fresh_anonymous) == 1);

  // Races: what the daemon refuses (in use) or no longer has is reported per item, never fatal.
  GcPlan races;
  races.remove = {
      GcItem{GcObjectKind::kContainer, running, prefix + "running", GcReason::kContainerExited, "",
             1},
      GcItem{GcObjectKind::kContainer, old1, prefix + "old1", GcReason::kContainerExited, "", 1},
      GcItem{GcObjectKind::kImage, version[3], repo + ":v3", GcReason::kImageNotNewest, "", 1},
      GcItem{GcObjectKind::kVolume, prefix + "used-listed", prefix + "used-listed",
             GcReason::kVolumeListed, "", 1},
      GcItem{GcObjectKind::kVolume, prefix + "listed", prefix + "listed", GcReason::kVolumeListed,
             "", 1}};
  GcExecution raced = ExecuteGcPlan(docker, races, /*dry_run=*/false);
  REQUIRE(raced.items.size() == 5);
  for (const auto& r : raced.items) UNSCOPED_INFO(GcOutcomeName(r.outcome) << ": " << r.error);
  CHECK(raced.items[0].outcome == GcOutcome::kRefused);  // running
  CHECK(raced.items[1].outcome == GcOutcome::kGone);     // removed above
  CHECK(raced.items[2].outcome == GcOutcome::kRefused);  // used by fresh-v3
  CHECK(raced.items[3].outcome == GcOutcome::kRefused);  // mounted by running
  CHECK(raced.items[4].outcome == GcOutcome::kGone);
  CHECK(raced.bytes_freed == 0);
  for (const auto& r : raced.items) INFO(GcOutcomeName(r.outcome) << ": " << r.error);
  CHECK(List(docker) == after);
}

TEST_CASE("gc: without service references no image is removed", "[integration][gc]") {
  const std::string socket = Env("ORCASTRA_TEST_DOCKER_SOCKET");
  const std::string base_image = Env("ORCASTRA_TEST_IMAGE");
  docker::Client docker({.socket_path = socket});
  {
    // The test case before left nothing behind (its guard ran).
    const Listing left = List(docker);
    for (const auto& key : left.containers) {
      auto details = docker.InspectContainer(key.substr(0, key.find(' ')));
      REQUIRE(details.ok());
      CHECK(details->name.rfind("orcastra-it-gc-", 0) != 0);
    }
    for (const auto& key : left.images) CHECK(key.find("/gctest/") == std::string::npos);
    for (const auto& name : left.volumes) CHECK(name.rfind("orcastra-it-gc-", 0) != 0);
  }
  Cleanup cleanup(docker);
  const std::string run = RunId();
  std::string id = RunContainer(
      docker, cleanup, {"orcastra-it-gc-" + run + "-src", base_image, {"true"}, {}, {}}, true);
  std::string image =
      Post(docker, "/commit?container=" + id, nullptr, 201)["Id"].get<std::string>();
  cleanup.Image(image);
  REQUIRE(docker.RemoveContainer(id).ok());

  GcOptions options;
  options.plan.grace_period = 0s;
  options.plan.minimum_images_to_save = 0;
  Events events;
  // A worker: the provider cannot list services.
  GarbageCollector gc(
      socket, options,
      [] {
        return KnownServiceRefs{std::nullopt, "no service image references received yet"};
      },
      events.Sink());
  gc.Start();
  gc.RunNow();
  auto reported = events.WaitFor("gc_removed", 60s);
  auto skipped = events.WaitFor("gc_images_skipped", 1s);
  gc.Stop();
  REQUIRE(reported.has_value());
  CHECK(reported->attrs.at("images").empty());
  CHECK(reported->message.find("no image removed: service references unknown (no service image "
                               "references received yet)") != std::string::npos);
  // Said once more on its own, with the reason (issue 8: never a silent skip).
  REQUIRE(skipped.has_value());
  CHECK(skipped->attrs.at("reason") == "no service image references received yet");
  CHECK(docker.InspectImage(image).ok());
}

}  // namespace
}  // namespace orcastra::agent
