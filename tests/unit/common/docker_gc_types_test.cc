// Decoding of the Docker responses garbage collection reads: images, image inspect, volumes,
// /system/df and image removal. Recorded from Docker 20.10.24 (API 1.41) on the lab's m1 with
// `curl --unix-socket SOCK http://d/v1.41/PATH | jq .` after committing a container into
// 198.51.100.1:5000/gctest/app:v1 (plus tags app:alias and other:x, and one commit without a name),
// creating the volume `named1`, one unnamed volume, and a running container that mounts `named1`
// and an anonymous volume: images.json (GET /images/json), image_inspect.json (GET
// /images/ID/json), volumes.json (GET /volumes), system_df.json (GET /system/df),
// image_delete_multi_repo_error.json (DELETE /images/ID of that image, HTTP 409).
// image_delete.json is written by hand in the shape of a DELETE /images/NAME answer.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/docker_client.h"
#include "common/docker_types.h"

namespace orcastra::docker {
namespace {

using nlohmann::json;

std::string FixtureText(const std::string& name) {
  std::ifstream in(std::string(ORCASTRA_FIXTURES_DIR) + "/docker/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json Fixture(const std::string& name) { return json::parse(FixtureText(name)); }

constexpr const char* kApp =
    "sha256:6199002cc8a2b9dd28c49c4e4fe86c963629840d6f8e88aefbd8759b9cf1af11";
constexpr const char* kBusybox =
    "sha256:ad1dc64864745f5d3fe0e25fffa5d2c609fcf01b327a15cbf81d7d2ef9b6256e";

TEST_CASE("docker: /images/json", "[docker][decode][gc]") {
  auto images = DecodeList(Fixture("images.json"), DecodeImageSummary, "images");
  REQUIRE(images.ok());
  REQUIRE(images->size() == 3);
  const ImageSummary& app = (*images)[0];
  CHECK(app.id == kApp);
  CHECK(app.parent_id == kBusybox);  // a local commit keeps its base as parent
  CHECK(app.repo_tags == std::vector<std::string>{"198.51.100.1:5000/gctest/app:alias",
                                                  "198.51.100.1:5000/gctest/app:v1",
                                                  "198.51.100.1:5000/gctest/other:x"});
  CHECK(app.repo_digests.empty());  // "RepoDigests": null
  CHECK(app.created == 1796036711);
  CHECK(app.size == 1984260);
  CHECK_FALSE(app.shared_size);  // -1: only /system/df computes it
  CHECK_FALSE(app.containers);   // -1 likewise
  const ImageSummary& dangling = (*images)[1];
  CHECK(dangling.repo_tags == std::vector<std::string>{"<none>:<none>"});
  CHECK(dangling.repo_digests == std::vector<std::string>{"<none>@<none>"});
  const ImageSummary& busybox = (*images)[2];
  CHECK(busybox.parent_id.empty());
  CHECK(
      busybox.repo_digests ==
      std::vector<std::string>{"198.51.100.1:5000/lab/busybox@sha256:"
                               "040617149fc24b878b509d99a7321d96a54a557a830df8197d561a5c4deb6c88"});
}

TEST_CASE("docker: image inspect", "[docker][decode][gc]") {
  auto image = DecodeImageDetails(Fixture("image_inspect.json"));
  REQUIRE(image.ok());
  CHECK(image->id == kApp);
  CHECK(image->parent == kBusybox);
  CHECK(image->repo_tags.size() == 3);
  CHECK(image->repo_digests.empty());
  CHECK(image->created == "2026-11-30T11:05:11.351046041Z");
  CHECK(image->size == 1984260);
}

TEST_CASE("docker: /volumes on Docker 20.10 labels no volume as anonymous",
          "[docker][decode][gc]") {
  auto volumes = DecodeVolumeList(Fixture("volumes.json"));
  REQUIRE(volumes.ok());
  REQUIRE(volumes->size() == 4);
  for (const Volume& v : *volumes) {
    CHECK(v.driver == "local");
    CHECK(v.scope == "local");
    CHECK(v.created_at == "2026-11-30T11:05:11Z");
    CHECK_FALSE(v.usage_size);  // only /system/df has UsageData
    CHECK_FALSE(v.usage_ref_count);
    CHECK(v.labels.count("com.docker.volume.anonymous") == 0);
  }
  // The anonymous ones (a container's VOLUME, and POST /volumes/create without a name) are named
  // by 64 hex digits and carry no label at all; the named one keeps its own labels.
  CHECK((*volumes)[0].name == "4915d4411cc1e9383f10f99f5c5786f99ad3b171292583fbde6ea14fb52cf791");
  CHECK((*volumes)[0].labels.empty());
  CHECK((*volumes)[1].name == "named1");
  CHECK((*volumes)[1].labels == Labels{{"a", "b"}});
  CHECK((*volumes)[1].mountpoint == "/var/lib/docker/volumes/named1/_data");
}

TEST_CASE("docker: an empty volume list may be null", "[docker][decode][gc]") {
  auto empty = DecodeVolumeList(json::parse(R"({"Volumes": null, "Warnings": null})"));
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  auto missing = DecodeVolumeList(json::parse(R"({"Warnings": null})"));
  CHECK(missing.status().code() == Status::Code::kParseError);
  auto bad = DecodeVolumeList(json::parse(R"({"Volumes": [{"Name": "x"}]})"));
  CHECK(bad.status().message() == "volume list[0]: volume 'x': volume: field '/Driver' is missing");
}

TEST_CASE("docker: /system/df has the usage GC needs", "[docker][decode][gc]") {
  auto usage = DecodeDiskUsage(Fixture("system_df.json"));
  REQUIRE(usage.ok());
  CHECK(usage->layers_size == 1984260);
  REQUIRE(usage->images.size() == 3);
  CHECK(usage->images[2].id == kBusybox);
  CHECK(usage->images[2].containers == 2);
  CHECK(usage->images[0].containers == 0);
  CHECK(usage->images[0].shared_size == 1984260);
  REQUIRE(usage->containers.size() == 2);
  const ContainerSummary& running = usage->containers[0];
  CHECK(running.name == "probe2");
  CHECK(running.state == "running");
  CHECK_FALSE(running.size_rw);  // null for the running one
  CHECK(running.volume_names ==
        std::vector<std::string>{"00a2e825897b26733ee772bbf8affbe6d850ab35e100a4251eca2e83a6f60df6",
                                 "named1"});
  CHECK(running.image_id == kBusybox);
  const ContainerSummary& exited = usage->containers[1];
  CHECK(exited.state == "exited");
  CHECK(exited.size_rw == 4);
  REQUIRE(usage->volumes.size() == 4);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_name;
  for (const auto& v : usage->volumes) {
    REQUIRE(v.usage_ref_count);
    REQUIRE(v.usage_size);
    by_name[v.name] = {*v.usage_ref_count, *v.usage_size};
  }
  CHECK(by_name["named1"] == std::pair<std::int64_t, std::int64_t>{1, 0});
  CHECK(by_name["4915d4411cc1e9383f10f99f5c5786f99ad3b171292583fbde6ea14fb52cf791"] ==
        std::pair<std::int64_t, std::int64_t>{1, 2});
  CHECK(by_name["bc108da90e5a03edb0252f39d22ff290db61ca303697721defc4930c34ce2d2f"] ==
        std::pair<std::int64_t, std::int64_t>{0, 0});
}

TEST_CASE("docker: container mounts of other types are not volumes", "[docker][decode][gc]") {
  auto c = DecodeContainerSummary(json::parse(R"({
    "Id": "abc", "State": "exited", "Created": 5, "ImageID": "sha256:1",
    "Mounts": [{"Type": "bind", "Source": "/etc", "Destination": "/e"},
               {"Type": "volume", "Name": "data", "Destination": "/d"},
               {"Type": "tmpfs", "Destination": "/t"}],
    "SizeRw": -1})"));
  REQUIRE(c.ok());
  CHECK(c->volume_names == std::vector<std::string>{"data"});
  CHECK(c->created == 5);
  CHECK_FALSE(c->size_rw);
  auto bad = DecodeContainerSummary(
      json::parse(R"({"Id": "abc", "State": "exited", "Mounts": [{"Type": 3}]})"));
  CHECK(bad.status().code() == Status::Code::kParseError);
}

TEST_CASE("docker: image removal answers", "[docker][decode][gc]") {
  auto removed = DecodeImageDeleteResult(Fixture("image_delete.json"));
  REQUIRE(removed.ok());
  CHECK(removed->untagged == std::vector<std::string>{"198.51.100.1:5000/gctest/app:v1"});
  CHECK(removed->deleted == std::vector<std::string>{kApp});
  Status refused = ErrorFromResponse("DELETE", "/images/" + std::string(kApp) + "?noprune=0",
                                     {409, FixtureText("image_delete_multi_repo_error.json")});
  CHECK(refused.code() == Status::Code::kConflict);
  CHECK(refused.message() == "docker DELETE /images/" + std::string(kApp) +
                                 ": HTTP 409: conflict: unable to delete 6199002cc8a2 (must be "
                                 "forced) - image is referenced in multiple repositories");
}

}  // namespace
}  // namespace orcastra::docker
