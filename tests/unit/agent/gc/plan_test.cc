#include "agent/gc/plan.h"

#include <algorithm>
#include <catch2/catch.hpp>

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;

const WallTime kNow = WallTime{} + std::chrono::seconds(1'700'000'000);

WallTime Ago(std::chrono::seconds age) { return kNow - age; }

std::string Hex(char c) { return std::string(64, c); }
std::string Sha(char c) { return "sha256:" + Hex(c); }

GcContainer Container(std::string id, std::string state, std::string image_id = "",
                      std::optional<std::chrono::seconds> finished_ago = std::nullopt,
                      std::chrono::seconds created_ago = 48h) {
  GcContainer c;
  c.name = "c-" + id;
  c.id = std::move(id);
  c.state = std::move(state);
  c.image_id = std::move(image_id);
  c.created_at = Ago(created_ago);
  if (finished_ago) c.finished_at = Ago(*finished_ago);
  return c;
}

GcImage Image(char id, std::vector<std::string> tags, std::chrono::seconds age,
              std::vector<std::string> digests = {}, std::optional<std::int64_t> size = 100) {
  GcImage image;
  image.id = Sha(id);
  image.repo_tags = std::move(tags);
  image.repo_digests = std::move(digests);
  image.created_at = Ago(age);
  image.size_bytes = size;
  return image;
}

GcVolume Volume(std::string name, std::optional<std::chrono::seconds> age = 48h,
                docker::Labels labels = {}, std::string driver = "local") {
  GcVolume v;
  v.name = std::move(name);
  v.driver = std::move(driver);
  if (age) v.created_at = Ago(*age);
  v.labels = std::move(labels);
  v.size_bytes = 1000;
  return v;
}

GcSnapshot Snapshot() {
  GcSnapshot s;
  s.referenced_images_known = true;
  return s;
}

GcConfig Config(int keep = 0) {
  GcConfig config;
  config.grace_period = 1h;
  config.minimum_images_to_save = keep;
  return config;
}

GcPlan Plan(const GcSnapshot& snapshot, const GcConfig& config) {
  auto plan = PlanGc(snapshot, config, kNow);
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

const GcItem* Find(const std::vector<GcItem>& items, const std::string& id) {
  auto it = std::find_if(items.begin(), items.end(), [&](const GcItem& i) { return i.id == id; });
  return it == items.end() ? nullptr : &*it;
}

// The reason `id` is removed, or nullopt when it is not in `remove`.
std::optional<GcReason> Removed(const GcPlan& plan, const std::string& id) {
  const GcItem* item = Find(plan.remove, id);
  if (item == nullptr) return std::nullopt;
  CHECK(Find(plan.keep, id) == nullptr);
  return item->reason;
}

// The reason `id` is kept, or nullopt when it is not in `keep`.
std::optional<GcReason> Kept(const GcPlan& plan, const std::string& id) {
  const GcItem* item = Find(plan.keep, id);
  if (item == nullptr) return std::nullopt;
  CHECK(Find(plan.remove, id) == nullptr);
  return item->reason;
}

std::vector<std::string> RemovedIds(const GcPlan& plan, GcObjectKind kind) {
  std::vector<std::string> ids;
  for (const auto& item : plan.remove) {
    if (item.kind == kind) ids.push_back(item.id);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Image references.

TEST_CASE("image references are normalised like Docker does", "[gc][reference]") {
  struct Case {
    std::string text;
    std::string repository;
    std::string tag;
    std::string digest;
  };
  const std::string d = Sha('d');
  const std::vector<Case> cases = {
      {"nginx", "docker.io/library/nginx", "latest", ""},
      {"nginx:1.25", "docker.io/library/nginx", "1.25", ""},
      {"library/nginx:1.25", "docker.io/library/nginx", "1.25", ""},
      {"docker.io/nginx", "docker.io/library/nginx", "latest", ""},
      {"docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25", ""},
      {"index.docker.io/library/nginx", "docker.io/library/nginx", "latest", ""},
      {"index.docker.io/nginx:1", "docker.io/library/nginx", "1", ""},
      {"team/app", "docker.io/team/app", "latest", ""},
      {"registry.example.com:5000/team/app:2", "registry.example.com:5000/team/app", "2", ""},
      {"registry.example.com/app", "registry.example.com/app", "latest", ""},
      {"localhost/app", "localhost/app", "latest", ""},
      {"localhost:5000/app:v1", "localhost:5000/app", "v1", ""},
      {"ghcr.io/org/sub/app:1.0-rc_1", "ghcr.io/org/sub/app", "1.0-rc_1", ""},
      {"nginx@" + d, "docker.io/library/nginx", "", d},
      {"nginx:1.25@" + d, "docker.io/library/nginx", "1.25", d},
      {"localhost:5000/app@" + d, "localhost:5000/app", "", d},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto ref = ParseImageReference(c.text);
    REQUIRE(ref.ok());
    CHECK(ref->id.empty());
    CHECK(ref->repository == c.repository);
    CHECK(ref->tag == c.tag);
    CHECK(ref->digest == c.digest);
  }
}

TEST_CASE("image ids are recognised as ids", "[gc][reference]") {
  auto full = ParseImageReference(Sha('a'));
  REQUIRE(full.ok());
  CHECK(full->id == Sha('a'));
  CHECK(full->repository.empty());
  auto bare = ParseImageReference(Hex('b'));
  REQUIRE(bare.ok());
  CHECK(bare->id == Sha('b'));
}

TEST_CASE("malformed image references are errors", "[gc][reference]") {
  const std::vector<std::string> texts = {"",
                                          " nginx",
                                          "nginx ",
                                          "ngi nx",
                                          "nginx:",
                                          "nginx:-bad",
                                          "nginx@",
                                          "nginx@sha256:abc",
                                          "nginx@sha256:" + std::string(64, 'G'),
                                          "nginx@:abc",
                                          ":1.25",
                                          "@" + Sha('a'),
                                          "a//b",
                                          "docker.io/",
                                          "/nginx",
                                          "team/",
                                          "nginx:" + std::string(129, 'x')};
  for (const auto& text : texts) {
    INFO("'" << text << "'");
    auto ref = ParseImageReference(text);
    REQUIRE_FALSE(ref.ok());
    CHECK(ref.status().code() == Status::Code::kInvalidArgument);
  }
}

// ---------------------------------------------------------------------------------------------
// Containers.

TEST_CASE("exited and dead containers go once the grace period has passed", "[gc][container]") {
  auto snapshot = Snapshot();
  snapshot.containers = {
      Container("exact", "exited", "", 3600s),   // finished exactly the grace period ago
      Container("almost", "exited", "", 3599s),  // one second short
      Container("old", "exited", "", 72h),       //
      Container("dead", "dead", "", 2h),         //
      Container("deadnew", "dead", "", 10min),   //
      Container("future", "exited", "", -5min),  // finished "in the future": clock skew
      Container("nofinish", "exited", "", std::nullopt),
  };
  auto plan = Plan(snapshot, Config());
  CHECK(Removed(plan, "exact") == GcReason::kContainerExited);
  CHECK(Kept(plan, "almost") == GcReason::kWithinGracePeriod);
  CHECK(Removed(plan, "old") == GcReason::kContainerExited);
  CHECK(Removed(plan, "dead") == GcReason::kContainerExited);
  CHECK(Kept(plan, "deadnew") == GcReason::kWithinGracePeriod);
  CHECK(Kept(plan, "future") == GcReason::kWithinGracePeriod);
  CHECK(Kept(plan, "nofinish") == GcReason::kContainerFinishUnknown);
  CHECK(Find(plan.remove, "old")->detail == "exited 3d ago");
  CHECK(Find(plan.remove, "old")->name == "c-old");
  CHECK(Find(plan.keep, "almost")->detail == "exited 59m59s ago, grace period 1h");
  CHECK(RemovedIds(plan, GcObjectKind::kContainer) ==
        std::vector<std::string>{"exact", "old", "dead"});
}

TEST_CASE("running, paused, restarting and removing containers are never removed",
          "[gc][container]") {
  auto snapshot = Snapshot();
  // Finish times from an earlier run are long past: they must not matter.
  for (const std::string state : {"running", "paused", "restarting", "removing", "", "weird"}) {
    snapshot.containers.push_back(Container("s-" + state, state, "", 30 * 24h, 60 * 24h));
  }
  auto plan = Plan(snapshot, Config());
  CHECK(plan.remove.empty());
  REQUIRE(plan.keep.size() == 6);
  for (const auto& item : plan.keep) CHECK(item.reason == GcReason::kContainerActive);
  CHECK(Find(plan.keep, "s-paused")->detail == "paused");
  CHECK(Find(plan.keep, "s-")->detail == "state unknown");
}

TEST_CASE("created containers that never started go after the grace period", "[gc][container]") {
  auto snapshot = Snapshot();
  snapshot.containers = {
      Container("fresh", "created", "", std::nullopt, 3599s),
      Container("exact", "created", "", std::nullopt, 3600s),
      Container("stale", "created", "", std::nullopt, 48h),
  };
  auto plan = Plan(snapshot, Config());
  CHECK(Kept(plan, "fresh") == GcReason::kWithinGracePeriod);
  CHECK(Removed(plan, "exact") == GcReason::kContainerNeverStarted);
  CHECK(Removed(plan, "stale") == GcReason::kContainerNeverStarted);
  CHECK(Find(plan.remove, "stale")->detail == "created 2d ago, never started");
}

TEST_CASE("a zero grace period removes containers that finished just now", "[gc][container]") {
  auto snapshot = Snapshot();
  snapshot.containers = {Container("now", "exited", "", 0s)};
  auto config = Config();
  config.grace_period = 0s;
  CHECK(Removed(Plan(snapshot, config), "now") == GcReason::kContainerExited);
}

// ---------------------------------------------------------------------------------------------
// Images: newest N per repository.

TEST_CASE("the newest N images of each repository are kept", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('1', {"app:1"}, 96h), Image('2', {"app:2"}, 72h),   Image('3', {"app:3"}, 48h),
      Image('4', {"app:4"}, 24h), Image('9', {"other:1"}, 96h),
  };
  SECTION("N = 2") {
    auto plan = Plan(snapshot, Config(2));
    CHECK(Kept(plan, Sha('4')) == GcReason::kImageAmongNewest);
    CHECK(Kept(plan, Sha('3')) == GcReason::kImageAmongNewest);
    CHECK(Removed(plan, Sha('2')) == GcReason::kImageNotNewest);
    CHECK(Removed(plan, Sha('1')) == GcReason::kImageNotNewest);
    CHECK(Kept(plan, Sha('9')) == GcReason::kImageAmongNewest);
    CHECK(Find(plan.keep, Sha('3'))->detail == "newest 2 of 4 in docker.io/library/app, keeping 2");
    CHECK(Find(plan.keep, Sha('3'))->name == "app:3");
    CHECK(Find(plan.remove, Sha('1'))->detail ==
          "unused, not among the newest 2 of its repositories");
    CHECK(RemovedIds(plan, GcObjectKind::kImage) == std::vector<std::string>{Sha('1'), Sha('2')});
  }
  SECTION("N = 0 keeps none for being new") {
    auto plan = Plan(snapshot, Config(0));
    CHECK(RemovedIds(plan, GcObjectKind::kImage) ==
          std::vector<std::string>{Sha('1'), Sha('2'), Sha('3'), Sha('4'), Sha('9')});
    CHECK(Find(plan.remove, Sha('4'))->detail == "unused, unreferenced, created 1d ago");
  }
  SECTION("N larger than the repository keeps all of it") {
    auto plan = Plan(snapshot, Config(10));
    CHECK(plan.remove.empty());
  }
}

TEST_CASE("images tied with the N-th newest are all kept", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('a', {"app:a"}, 24h),
      Image('b', {"app:b"}, 48h),
      Image('c', {"app:c"}, 48h),
      Image('d', {"app:d"}, 72h),
  };
  SECTION("a tie at the cut") {
    auto plan = Plan(snapshot, Config(2));
    CHECK(Kept(plan, Sha('a')) == GcReason::kImageAmongNewest);
    CHECK(Kept(plan, Sha('b')) == GcReason::kImageAmongNewest);
    CHECK(Kept(plan, Sha('c')) == GcReason::kImageAmongNewest);
    CHECK(Removed(plan, Sha('d')) == GcReason::kImageNotNewest);
    // Both tied images rank 2nd.
    CHECK(Find(plan.keep, Sha('c'))->detail == "newest 2 of 4 in docker.io/library/app, keeping 2");
  }
  SECTION("the order of the list does not matter") {
    std::reverse(snapshot.images.begin(), snapshot.images.end());
    auto plan = Plan(snapshot, Config(2));
    CHECK(RemovedIds(plan, GcObjectKind::kImage) == std::vector<std::string>{Sha('d')});
  }
  SECTION("a tie for the newest with N = 1") {
    snapshot.images[1].created_at = Ago(24h);
    auto plan = Plan(snapshot, Config(1));
    CHECK(Kept(plan, Sha('a')) == GcReason::kImageAmongNewest);
    CHECK(Kept(plan, Sha('b')) == GcReason::kImageAmongNewest);
    CHECK(Removed(plan, Sha('c')) == GcReason::kImageNotNewest);
    CHECK(Removed(plan, Sha('d')) == GcReason::kImageNotNewest);
  }
}

TEST_CASE("an image in several repositories counts in each", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('n', {"app:new"}, 24h),
      // The oldest of app, but the only image of registry.example.com/app.
      Image('x', {"app:old", "registry.example.com/app:v1"}, 96h),
      Image('m', {"app:mid"}, 48h),
  };
  auto plan = Plan(snapshot, Config(1));
  CHECK(Kept(plan, Sha('n')) == GcReason::kImageAmongNewest);
  CHECK(Kept(plan, Sha('x')) == GcReason::kImageAmongNewest);
  CHECK(Find(plan.keep, Sha('x'))->detail ==
        "newest 1 of 1 in registry.example.com/app, keeping 1");
  CHECK(Removed(plan, Sha('m')) == GcReason::kImageNotNewest);
}

TEST_CASE("several tags of one repository count once", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('p', {"app:1.2", "app:latest", "docker.io/library/app:stable"}, 24h),
      Image('q', {"app:1.1"}, 48h),
      Image('r', {"app:1.0"}, 72h),
  };
  auto plan = Plan(snapshot, Config(2));
  CHECK(Kept(plan, Sha('p')) == GcReason::kImageAmongNewest);
  CHECK(Kept(plan, Sha('q')) == GcReason::kImageAmongNewest);
  CHECK(Removed(plan, Sha('r')) == GcReason::kImageNotNewest);
  CHECK(Find(plan.keep, Sha('q'))->detail == "newest 2 of 3 in docker.io/library/app, keeping 2");
}

TEST_CASE("images pulled by digest (no tag) belong to their repository", "[gc][image]") {
  // What Swarm leaves on a worker: RepoTags empty, RepoDigests set.
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('1', {}, 24h, {"app@" + Sha('e')}),
      Image('2', {"<none>:<none>"}, 48h, {"app@" + Sha('f')}),
  };
  auto plan = Plan(snapshot, Config(1));
  CHECK(Kept(plan, Sha('1')) == GcReason::kImageAmongNewest);
  CHECK(Find(plan.keep, Sha('1'))->name == "app@" + Sha('e'));
  CHECK(Removed(plan, Sha('2')) == GcReason::kImageNotNewest);
}

TEST_CASE("images used by any container are kept", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('r', {"run:1"}, 96h),  Image('s', {"stop:1"}, 96h),   Image('c', {"created:1"}, 96h),
      Image('f', {"flag:1"}, 96h), Image('u', {"unused:1"}, 96h),
  };
  snapshot.images[3].used_by_container = true;
  snapshot.containers = {
      Container("runner", "running", Sha('r')),
      // Exited long ago: removed in this plan, yet its image stays for this run.
      Container("stopper", "exited", Sha('s'), 72h),
      Container("creator", "created", Sha('c'), std::nullopt, 10min),
  };
  auto plan = Plan(snapshot, Config(0));
  CHECK(Kept(plan, Sha('r')) == GcReason::kImageInUse);
  CHECK(Find(plan.keep, Sha('r'))->detail == "used by container 'c-runner'");
  CHECK(Removed(plan, "stopper") == GcReason::kContainerExited);
  CHECK(Kept(plan, Sha('s')) == GcReason::kImageInUse);
  CHECK(Find(plan.keep, Sha('s'))->detail == "used by container 'c-stopper'");
  CHECK(Kept(plan, Sha('c')) == GcReason::kImageInUse);
  CHECK(Kept(plan, Sha('f')) == GcReason::kImageInUse);
  CHECK(Find(plan.keep, Sha('f'))->detail == "used by a container");
  CHECK(RemovedIds(plan, GcObjectKind::kImage) == std::vector<std::string>{Sha('u')});

  SECTION("the next run, after the container is gone, collects the image") {
    snapshot.containers.erase(snapshot.containers.begin() + 1);
    auto next = Plan(snapshot, Config(0));
    CHECK(Removed(next, Sha('s')) == GcReason::kImageNotNewest);
  }
}

TEST_CASE("images used by a container are kept even when service references are unknown",
          "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.referenced_images_known = false;
  snapshot.images = {Image('r', {"run:1"}, 96h), Image('u', {"unused:1"}, 96h)};
  snapshot.containers = {Container("runner", "running", Sha('r'))};
  auto plan = Plan(snapshot, Config(0));
  CHECK(Kept(plan, Sha('r')) == GcReason::kImageInUse);
  CHECK(Kept(plan, Sha('u')) == GcReason::kImageReferencesUnknown);
}

// ---------------------------------------------------------------------------------------------
// Images named by service specs.

TEST_CASE("images named by a service spec are kept, however the spec writes the name",
          "[gc][image][reference]") {
  const std::string current = Sha('c');
  const std::string old = Sha('0');
  auto base = Snapshot();
  base.images = {
      Image('t', {"nginx:1.25"}, 96h, {"nginx@" + current}),
      Image('l', {"nginx:latest"}, 96h),
      Image('o', {}, 120h, {"nginx@" + old}),  // pulled by digest, tag moved on since
      Image('p', {"registry.example.com:5000/team/app:2"}, 96h),
      Image('9', {"unrelated:1"}, 96h),
  };
  struct Case {
    std::string reference;
    std::string kept_id;
  };
  const std::vector<Case> cases = {
      {"nginx:1.25", Sha('t')},
      {"docker.io/library/nginx:1.25", Sha('t')},
      {"library/nginx:1.25", Sha('t')},
      {"docker.io/nginx:1.25", Sha('t')},
      {"index.docker.io/library/nginx:1.25", Sha('t')},
      {"nginx", Sha('l')},
      {"nginx:latest", Sha('l')},
      {"docker.io/library/nginx", Sha('l')},
      {"nginx@" + old, Sha('o')},
      {"docker.io/library/nginx@" + old, Sha('o')},
      // The same content under another repository name is the same image.
      {"mirror.example.com/nginx@" + old, Sha('o')},
      {"registry.example.com:5000/team/app:2", Sha('p')},
      {Sha('9'), Sha('9')},
      {Hex('9'), Sha('9')},
  };
  for (const auto& c : cases) {
    INFO(c.reference);
    auto snapshot = base;
    snapshot.referenced_images = {c.reference};
    auto plan = Plan(snapshot, Config(0));
    CHECK(Kept(plan, c.kept_id) == GcReason::kImageReferencedByService);
    CHECK(Find(plan.keep, c.kept_id)->detail == "named by service image '" + c.reference + "'");
    CHECK(plan.remove.size() == base.images.size() - 1);
  }
}

TEST_CASE("a reference with tag and digest keeps both images it could mean",
          "[gc][image][reference]") {
  // Swarm pins "nginx:1.25@sha256:old"; meanwhile nginx:1.25 was pulled again and moved on.
  const std::string old = Sha('0');
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('o', {}, 120h, {"nginx@" + old}),
      Image('t', {"nginx:1.25"}, 96h, {"nginx@" + Sha('c')}),
      Image('z', {"nginx:1.24"}, 200h),
  };
  snapshot.referenced_images = {"nginx:1.25@" + old};
  auto plan = Plan(snapshot, Config(0));
  CHECK(Kept(plan, Sha('o')) == GcReason::kImageReferencedByService);
  CHECK(Kept(plan, Sha('t')) == GcReason::kImageReferencedByService);
  CHECK(Removed(plan, Sha('z')) == GcReason::kImageNotNewest);
}

TEST_CASE("a digest equal to the image id (containerd image store) keeps the image",
          "[gc][image][reference]") {
  auto snapshot = Snapshot();
  snapshot.images = {Image('a', {}, 96h), Image('b', {}, 96h)};
  snapshot.referenced_images = {"app@" + Sha('a')};
  auto plan = Plan(snapshot, Config(0));
  CHECK(Kept(plan, Sha('a')) == GcReason::kImageReferencedByService);
  CHECK(Removed(plan, Sha('b')) == GcReason::kImageDangling);
}

TEST_CASE("references that name something else do not keep an image", "[gc][image][reference]") {
  auto snapshot = Snapshot();
  snapshot.images = {Image('t', {"nginx:1.25"}, 96h, {"nginx@" + Sha('c')})};
  const std::vector<std::string> references = {"nginx:1.24",
                                               "nginx",
                                               "ghcr.io/library/nginx:1.25",
                                               "other/nginx:1.25",
                                               "nginx@" + Sha('d'),
                                               "nginx:1.24@" + Sha('d'),
                                               Sha('9'),
                                               Hex('c')};
  for (const auto& reference : references) {
    INFO(reference);
    snapshot.referenced_images = {reference};
    auto plan = Plan(snapshot, Config(0));
    CHECK(Removed(plan, Sha('t')) == GcReason::kImageNotNewest);
  }
}

TEST_CASE("previous-spec and zero-replica service images are kept like current ones",
          "[gc][image][reference]") {
  // The leader sends every service's Spec and PreviousSpec image, scaled to 0 or not.
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('2', {"app:2"}, 24h),     // current spec
      Image('1', {"app:1"}, 48h),     // previous spec: the rollback target
      Image('0', {"app:0"}, 72h),     // nobody's
      Image('b', {"batch:7"}, 200h),  // a service scaled to 0 replicas
  };
  snapshot.referenced_images = {"app:2@" + Sha('e'), "app:1", "batch:7"};
  auto plan = Plan(snapshot, Config(0));
  CHECK(Kept(plan, Sha('2')) == GcReason::kImageReferencedByService);
  CHECK(Kept(plan, Sha('1')) == GcReason::kImageReferencedByService);
  CHECK(Kept(plan, Sha('b')) == GcReason::kImageReferencedByService);
  CHECK(Removed(plan, Sha('0')) == GcReason::kImageNotNewest);
}

TEST_CASE("unknown service references: no image is removed at all", "[gc][image][safety]") {
  auto snapshot = Snapshot();
  snapshot.images = {Image('1', {"app:1"}, 96h), Image('d', {}, 96h)};
  snapshot.containers = {Container("old", "exited", "", 72h)};
  snapshot.volumes = {Volume(Hex('a'))};
  auto config = Config(0);
  config.clean_up_volumes = true;

  SECTION("the list is not known") {
    snapshot.referenced_images_known = false;
    snapshot.referenced_images = {"app:2"};  // whatever it holds, it is not the full list
    auto plan = Plan(snapshot, config);
    CHECK(Kept(plan, Sha('1')) == GcReason::kImageReferencesUnknown);
    CHECK(Kept(plan, Sha('d')) == GcReason::kImageReferencesUnknown);
    CHECK(RemovedIds(plan, GcObjectKind::kImage).empty());
    CHECK(plan.notes ==
          std::vector<std::string>{"no image removed: the service image references are not known"});
    // Containers and volumes do not depend on the service references.
    CHECK(Removed(plan, "old") == GcReason::kContainerExited);
    CHECK(Removed(plan, Hex('a')) == GcReason::kVolumeAnonymous);
  }
  SECTION("the default snapshot says unknown") {
    GcSnapshot fresh;
    fresh.images = snapshot.images;
    auto plan = Plan(fresh, config);
    CHECK(RemovedIds(plan, GcObjectKind::kImage).empty());
  }
  SECTION("a reference that cannot be parsed") {
    snapshot.referenced_images = {"app:2", "bad ref", "worse:"};
    auto plan = Plan(snapshot, config);
    CHECK(Kept(plan, Sha('1')) == GcReason::kImageReferencesUnknown);
    CHECK(Kept(plan, Sha('d')) == GcReason::kImageReferencesUnknown);
    REQUIRE(plan.notes.size() == 1);
    CHECK(plan.notes[0] ==
          "no image removed: service image reference 'bad ref' cannot be parsed: image "
          "reference 'bad ref': contains a blank");
  }
}

TEST_CASE("an image whose own name cannot be parsed is kept", "[gc][image][safety]") {
  auto snapshot = Snapshot();
  snapshot.images = {Image('q', {"Bad Tag:x"}, 96h)};
  auto plan = Plan(snapshot, Config(0));
  CHECK(Kept(plan, Sha('q')) == GcReason::kImageNameUnreadable);
  CHECK(Find(plan.keep, Sha('q'))->detail == "cannot parse 'Bad Tag:x'");
}

// ---------------------------------------------------------------------------------------------
// Dangling images and the grace period.

TEST_CASE("dangling images go once older than the grace period", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {
      Image('o', {}, 3600s),                                  // exactly the grace period
      Image('y', {}, 3599s),                                  // one second short
      Image('n', {"<none>:<none>"}, 48h, {"<none>@<none>"}),  // old daemons' placeholders
      Image('u', {}, 48h),                                    // used by a container
      Image('a', {}, 48h),                                    // named by id in a service
  };
  snapshot.containers = {Container("user", "exited", Sha('u'), 10min)};
  snapshot.referenced_images = {Sha('a')};
  auto plan = Plan(snapshot, Config(3));
  CHECK(Removed(plan, Sha('o')) == GcReason::kImageDangling);
  CHECK(Find(plan.remove, Sha('o'))->detail == "dangling, unused, created 1h ago");
  CHECK(Find(plan.remove, Sha('o'))->name == "<none>");
  CHECK(Kept(plan, Sha('y')) == GcReason::kWithinGracePeriod);
  CHECK(Find(plan.keep, Sha('y'))->detail == "created 59m59s ago, grace period 1h");
  CHECK(Removed(plan, Sha('n')) == GcReason::kImageDangling);
  CHECK(Kept(plan, Sha('u')) == GcReason::kImageInUse);
  CHECK(Kept(plan, Sha('a')) == GcReason::kImageReferencedByService);
}

TEST_CASE("tagged images younger than the grace period are kept", "[gc][image]") {
  auto snapshot = Snapshot();
  snapshot.images = {Image('e', {"app:e"}, 3600s), Image('f', {"app:f"}, 3599s)};
  auto plan = Plan(snapshot, Config(0));
  CHECK(Removed(plan, Sha('e')) == GcReason::kImageNotNewest);
  CHECK(Kept(plan, Sha('f')) == GcReason::kWithinGracePeriod);
}

// ---------------------------------------------------------------------------------------------
// Volumes.

TEST_CASE("volumes are kept unless clean-up is switched on", "[gc][volume]") {
  auto snapshot = Snapshot();
  snapshot.volumes = {Volume(Hex('a')), Volume("data"),
                      Volume("anon", 48h, {{std::string(kAnonymousVolumeLabel), ""}})};
  auto config = Config();
  config.removable_volumes = {"data"};  // listing alone is not enough
  GcConfig defaults;
  CHECK_FALSE(defaults.clean_up_volumes);
  auto plan = Plan(snapshot, config);
  CHECK(RemovedIds(plan, GcObjectKind::kVolume).empty());
  CHECK(Kept(plan, Hex('a')) == GcReason::kVolumesDisabled);
  CHECK(Kept(plan, "data") == GcReason::kVolumesDisabled);
  CHECK(Kept(plan, "anon") == GcReason::kVolumesDisabled);
}

TEST_CASE("anonymous volumes: detected by label or by a generated name", "[gc][volume]") {
  CHECK(IsAnonymousVolume(Volume(Hex('a'))));
  CHECK(IsAnonymousVolume(
      Volume("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")));
  CHECK(IsAnonymousVolume(Volume("anything", 1h, {{"com.docker.volume.anonymous", ""}})));
  CHECK_FALSE(IsAnonymousVolume(Volume("data")));
  CHECK_FALSE(IsAnonymousVolume(Volume(std::string(63, 'a'))));
  CHECK_FALSE(IsAnonymousVolume(Volume(std::string(65, 'a'))));
  CHECK_FALSE(IsAnonymousVolume(Volume(std::string(64, 'A'))));
  CHECK_FALSE(IsAnonymousVolume(Volume(std::string(63, 'a') + "g")));
  CHECK_FALSE(IsAnonymousVolume(Volume("data", 1h, {{"com.docker.compose.volume", "data"}})));
}

TEST_CASE("with clean-up on, only unused old anonymous or listed volumes go", "[gc][volume]") {
  auto snapshot = Snapshot();
  const std::string hex_old = Hex('a');
  const std::string hex_young = Hex('b');
  const std::string hex_exact = Hex('c');
  const std::string hex_used_flag = Hex('d');
  const std::string hex_mounted = Hex('e');
  const std::string hex_plugin = Hex('f');
  const std::string hex_undated = std::string(63, '0') + "1";
  snapshot.volumes = {
      Volume(hex_old, 48h),
      Volume("labelled", 48h, {{std::string(kAnonymousVolumeLabel), ""}}),
      Volume(hex_young, 3599s),
      Volume(hex_exact, 3600s),
      Volume(hex_used_flag, 48h),
      Volume(hex_mounted, 48h),
      Volume(hex_plugin, 48h, {}, "rexray/ebs"),
      Volume(hex_undated, std::nullopt),
      Volume("pgdata", 48h),                       // named, not listed
      Volume("scratch", 48h),                      // named, listed, unused
      Volume("cache", 48h),                        // named, listed, in use (flag)
      Volume("uploads", 48h),                      // named, listed, mounted by a stopped container
      Volume("fresh", 10min),                      // named, listed, too young
      Volume("nfs-share", 48h, {}, "nfs-plugin"),  // named, listed, other driver
  };
  snapshot.volumes[4].in_use = true;
  snapshot.volumes[10].in_use = true;
  auto mounter = Container("m", "exited", "", 10min);
  mounter.volume_names = {hex_mounted, "uploads"};
  snapshot.containers = {mounter};
  auto config = Config();
  config.clean_up_volumes = true;
  config.removable_volumes = {"scratch", "cache", "uploads", "fresh", "nfs-share", "absent"};
  auto plan = Plan(snapshot, config);

  CHECK(Removed(plan, hex_old) == GcReason::kVolumeAnonymous);
  CHECK(Find(plan.remove, hex_old)->detail == "anonymous, unused, created 2d ago");
  CHECK(Removed(plan, "labelled") == GcReason::kVolumeAnonymous);
  CHECK(Kept(plan, hex_young) == GcReason::kWithinGracePeriod);
  CHECK(Removed(plan, hex_exact) == GcReason::kVolumeAnonymous);
  CHECK(Kept(plan, hex_used_flag) == GcReason::kVolumeInUse);
  CHECK(Kept(plan, hex_mounted) == GcReason::kVolumeInUse);
  CHECK(Find(plan.keep, hex_mounted)->detail == "used by container 'c-m'");
  CHECK(Kept(plan, hex_plugin) == GcReason::kVolumeNotLocal);
  CHECK(Kept(plan, hex_undated) == GcReason::kVolumeCreatedUnknown);
  CHECK(Kept(plan, "pgdata") == GcReason::kVolumeNamed);
  CHECK(Removed(plan, "scratch") == GcReason::kVolumeListed);
  CHECK(Find(plan.remove, "scratch")->detail == "listed as removable, unused, created 2d ago");
  CHECK(Kept(plan, "cache") == GcReason::kVolumeInUse);
  CHECK(Kept(plan, "uploads") == GcReason::kVolumeInUse);
  CHECK(Kept(plan, "fresh") == GcReason::kWithinGracePeriod);
  CHECK(Removed(plan, "nfs-share") == GcReason::kVolumeListed);
  CHECK(RemovedIds(plan, GcObjectKind::kVolume) ==
        std::vector<std::string>{hex_old, "labelled", hex_exact, "scratch", "nfs-share"});
  CHECK(plan.keep.size() + plan.remove.size() == snapshot.volumes.size() + 1);
}

// ---------------------------------------------------------------------------------------------
// The plan as a whole.

TEST_CASE("the plan removes containers, then images, then volumes, and sums the bytes",
          "[gc][plan]") {
  auto snapshot = Snapshot();
  snapshot.volumes = {Volume(Hex('a'))};  // 1000 bytes
  snapshot.images = {
      Image('1', {"app:1"}, 96h, {}, 5'000'000),
      Image('2', {}, 96h, {}, std::nullopt),  // size unknown
      Image('3', {}, 96h, {}, -1),            // Docker's "not computed"
      Image('k', {"keep:1"}, 96h, {}, 7'000'000'000),
  };
  snapshot.referenced_images = {"keep:1"};
  auto exited = Container("x", "exited", "", 72h);
  exited.size_bytes = 20;
  snapshot.containers = {exited, Container("y", "exited", "", 72h)};
  auto config = Config(0);
  config.clean_up_volumes = true;
  auto plan = Plan(snapshot, config);

  REQUIRE(plan.remove.size() == 6);
  CHECK(plan.remove[0].kind == GcObjectKind::kContainer);
  CHECK(plan.remove[0].id == "x");
  CHECK(plan.remove[1].id == "y");
  CHECK(plan.remove[2].kind == GcObjectKind::kImage);
  CHECK(plan.remove[2].id == Sha('1'));
  CHECK(plan.remove[3].id == Sha('2'));
  CHECK(plan.remove[4].id == Sha('3'));
  CHECK(plan.remove[5].kind == GcObjectKind::kVolume);
  CHECK(plan.bytes_freed_estimate == 20 + 5'000'000 + 1000);
  CHECK(plan.removed_with_unknown_size == 3);  // container y, images 2 and 3
  REQUIRE(plan.keep.size() == 1);
  CHECK(plan.keep[0].size_bytes == 7'000'000'000);
  CHECK(plan.notes.empty());
}

TEST_CASE("an empty node gives an empty plan", "[gc][plan]") {
  auto plan = Plan(Snapshot(), Config(5));
  CHECK(plan.remove.empty());
  CHECK(plan.keep.empty());
  CHECK(plan.bytes_freed_estimate == 0);
  CHECK(plan.removed_with_unknown_size == 0);
  CHECK(plan.notes.empty());
}

TEST_CASE("GC settings out of range are refused", "[gc][config]") {
  CHECK(ValidateGcConfig(GcConfig{}).ok());
  GcConfig defaults;
  CHECK(defaults.grace_period == 3600s);
  CHECK(defaults.minimum_images_to_save == 0);
  CHECK_FALSE(defaults.clean_up_volumes);

  auto config = Config();
  config.grace_period = -1s;
  auto plan = PlanGc(Snapshot(), config, kNow);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().code() == Status::Code::kInvalidArgument);
  CHECK(plan.status().message() == "gc: grace period -1s is negative");

  config = Config(-1);
  auto status = ValidateGcConfig(config);
  CHECK(status.code() == Status::Code::kInvalidArgument);
  CHECK(status.message() == "gc: minimum images to save -1 is negative");
}

TEST_CASE("GC reasons have stable names", "[gc]") {
  CHECK(GcReasonName(GcReason::kContainerExited) == "container_exited");
  CHECK(GcReasonName(GcReason::kImageReferencedByService) == "image_referenced_by_service");
  CHECK(GcReasonName(GcReason::kImageReferencesUnknown) == "image_references_unknown");
  CHECK(GcReasonName(GcReason::kVolumeCreatedUnknown) == "volume_created_unknown");
}

}  // namespace
}  // namespace orcastra::agent
