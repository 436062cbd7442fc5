// Dependents that cannot follow their anchor (config/dependent_constraints.h): the pure check the
// leader and `orcastra config check` share.
#include "config/dependent_constraints.h"

#include <catch2/catch.hpp>

namespace orcastra::config {
namespace {

docker::Service Service(const std::string& name, std::vector<std::string> constraints = {}) {
  docker::Service service;
  service.id = "svc-" + name;
  service.name = name;
  service.constraints = std::move(constraints);
  return service;
}

Anchor MakeAnchor(const std::string& name, std::vector<std::string> services,
                  bool manage_constraints = false) {
  Anchor anchor;
  anchor.name = name;
  anchor.services = std::move(services);
  anchor.manage_constraints = manage_constraints;
  return anchor;
}

std::vector<std::string> Services(const std::vector<UnfollowableDependent>& found) {
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(f.anchor + ":" + f.service);
  return out;
}

TEST_CASE("a dependent without its anchor's constraint, and manage_constraints false, is found",
          "[config][constraints]") {
  SwarmConfig config;
  config.dependencies = {MakeAnchor("vectordb", {"chatui", "indexer", "ghost"}),
                         MakeAnchor("cache", {"web"}, /*manage_constraints=*/true)};
  const std::vector<docker::Service> services = {
      Service("st_vectordb"),
      Service("st_chatui"),  // no constraint at all
      Service("st_indexer", {"node.role==worker", "node.labels.vectordb == true"}),  // has it
      Service("st_web"),  // no constraint, but the leader adds it
  };
  auto found = FindUnfollowableDependents(config, "st", services);
  REQUIRE(found.size() == 1);
  const UnfollowableDependent& chatui = found[0];
  CHECK(chatui.anchor == "vectordb");
  CHECK(chatui.dependent == "chatui");
  CHECK(chatui.service == "st_chatui");
  CHECK(chatui.constraint == "node.labels.vectordb==true");
  CHECK(chatui.message ==
        "dependent 'chatui' (service st_chatui) cannot follow anchor 'vectordb': it has no "
        "placement constraint node.labels.vectordb==true and manage_constraints is false, so it "
        "stays wherever Swarm puts it; add the constraint to the service, or set "
        "manage_constraints: true on 'vectordb'");
}

TEST_CASE("the constraint must be the anchor's own label, as anchor_label names it",
          "[config][constraints]") {
  SwarmConfig config;
  config.anchor_label = "orcastra.{anchor}";
  Anchor db = MakeAnchor("db", {"a", "b", "c", "d"});
  db.stack = "prod";
  config.dependencies = {db};
  const std::vector<docker::Service> services = {
      Service("prod_a", {"node.labels.db==true"}),            // the default key: not this one
      Service("prod_b", {"node.labels.orcastra.db==true"}),   // right
      Service("prod_c", {"node.labels.orcastra.db!=true"}),   // the opposite
      Service("prod_d", {"node.labels.orcastra.db==false"}),  // not true
      Service("st_a"),                                        // another stack: not a dependent
  };
  CHECK(Services(FindUnfollowableDependents(config, "st", services)) ==
        std::vector<std::string>{"db:prod_a", "db:prod_c", "db:prod_d"});
}

TEST_CASE("no service, no finding; a dependent of two anchors is judged per anchor",
          "[config][constraints]") {
  SwarmConfig config;
  config.dependencies = {MakeAnchor("db", {"app"}), MakeAnchor("cache", {"app"})};
  CHECK(FindUnfollowableDependents(config, "st", {}).empty());
  auto found =
      FindUnfollowableDependents(config, "st", {Service("st_app", {"node.labels.db==true"})});
  CHECK(Services(found) == std::vector<std::string>{"cache:st_app"});
}

}  // namespace
}  // namespace orcastra::config
