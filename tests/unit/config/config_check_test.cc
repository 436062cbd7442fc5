// `orcastra config check [DIR]`: output format, summary, exit codes.
#include "config/config_check.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using testing::FakeEnv;
using testing::FixturePath;
using testing::TempDir;

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// A manager that answers with `services`, or a daemon that cannot be asked.
ServiceReader Answering(std::vector<docker::Service> services) {
  return [services] { return Result<std::vector<docker::Service>>(services); };
}
ServiceReader Unreachable() {
  return [] {
    return Result<std::vector<docker::Service>>(
        Status::Unavailable("cannot connect to /var/run/docker.sock"));
  };
}

Run Check(const std::vector<std::string>& args, std::map<std::string, std::string> env = {},
          const ServiceReader& services = Answering({})) {
  std::ostringstream out;
  std::ostringstream err;
  Run run;
  run.code = RunConfigCommand(args, FakeEnv(std::move(env)), out, err, services);
  run.out = out.str();
  run.err = err.str();
  return run;
}

TEST_CASE("config check: the reference directory passes with warnings", "[config][check]") {
  std::string dir = FixturePath("reference");
  Run run = Check({"check", dir});
  CHECK(run.code == 0);
  CHECK(run.err.empty());
  CHECK(run.out ==
        dir + "/nodes.yml: warning: ignored: " + dir +
            "/swarm.yml exists and takes precedence over the split nodes.yml + dependencies.yml "
            "form\n" +
            dir + "/dependencies.yml: warning: ignored: " + dir +
            "/swarm.yml exists and takes precedence over the split nodes.yml + dependencies.yml "
            "form\n" +
            dir +
            "/rebalance_config.yml:26:1: warning: node_exporter_nodes: ignored: Orcastra's "
            "agents report every node's real memory, so node_exporter is not needed\n" +
            dir +
            "/rebalance_config.yml:30:1: warning: node_map: ignored: Orcastra's agents report "
            "every node's real memory, so node_exporter is not needed\n" +
            dir +
            ": 0 errors, 4 warnings (read swarm.yml, rebalance_config.yml); 8 nodes, 18 "
            "anchors, 30 dependents\n");
}

TEST_CASE("config check: errors print FILE:LINE:COLUMN: error: FIELD: MESSAGE and exit 1",
          "[config][check]") {
  TempDir dir;
  dir.Write("swarm.yml", "nodes:\n  n1:\n    role: boss\n");
  Run run = Check({"check", dir.path()}, {{"DRY_RUN", "perhaps"}});
  CHECK(run.code == 1);
  CHECK(run.out ==
        "environment: error: DRY_RUN: \"perhaps\" is not a boolean (use true or false)\n" +
            dir.File("swarm.yml") +
            ":3:11: error: nodes.n1.role: expected \"manager\" or \"worker\", got \"boss\"\n" +
            dir.path() + ": 2 errors, 0 warnings\n");
}

TEST_CASE("config check: modcache.yml is checked when present", "[config][check]") {
  TempDir dir;
  dir.Write("swarm.yml", "nodes: {}\ndependencies: {}\n");
  dir.Write("modcache.yml", "- url: https://example.invalid/a.tgz\n- url: ftp://nope/x\n");
  Run run = Check({"check", dir.path()});
  CHECK(run.code == 1);
  CHECK(run.out.find(dir.File("modcache.yml") + ":2:8: error:") != std::string::npos);
  dir.Write("modcache.yml", "- url: https://example.invalid/a.tgz\n");
  Run fine = Check({"check", dir.path()});
  CHECK(fine.code == 0);
  CHECK(fine.out.find("(read swarm.yml, modcache.yml)") != std::string::npos);
}

TEST_CASE("config check: DIR defaults to ORCASTRA_CONFIG_DIR; missing directory is an error",
          "[config][check]") {
  TempDir dir;
  dir.Write("swarm.yml", "{}\n");
  Run from_env = Check({"check"}, {{"ORCASTRA_CONFIG_DIR", dir.path()}});
  CHECK(from_env.code == 0);
  CHECK(from_env.out == dir.path() +
                            ": 0 errors, 0 warnings (read swarm.yml); 0 nodes, 0 anchors, 0 "
                            "dependents\n");

  Run missing = Check({"check", dir.path() + "/nope"});
  CHECK(missing.code == 1);
  CHECK(missing.out == dir.path() +
                           "/nope: error: the configuration directory does not exist "
                           "(expected " +
                           dir.path() + "/nope/swarm.yml)\n" + dir.path() +
                           "/nope: 1 error, 0 warnings\n");

  TempDir empty;
  Run nothing = Check({"check", empty.path()});
  CHECK(nothing.code == 1);
  CHECK(nothing.out.rfind(empty.path() + ": error: no configuration file: expected ", 0) == 0);
}

docker::Service Service(const std::string& name, std::vector<std::string> constraints) {
  docker::Service service;
  service.id = "svc-" + name;
  service.name = name;
  service.constraints = std::move(constraints);
  return service;
}

TEST_CASE("config check: warns about a dependent that cannot follow its anchor",
          "[config][check]") {
  TempDir dir;
  dir.Write("swarm.yml",
            "dependencies:\n  vectordb:\n    stack: ai\n    services: [chatui, indexer]\n");
  Run run = Check(
      {"check", dir.path()}, {},
      Answering({Service("ai_chatui", {}), Service("ai_indexer", {"node.labels.vectordb==true"})}));
  CHECK(run.code == 0);
  CHECK(run.out ==
        dir.File("swarm.yml") +
            ": warning: dependencies.vectordb.services: dependent 'chatui' (service ai_chatui) "
            "cannot follow anchor 'vectordb': it has no placement constraint "
            "node.labels.vectordb==true and manage_constraints is false, so it stays wherever "
            "Swarm puts it; add the constraint to the service, or set manage_constraints: true "
            "on 'vectordb'\n" +
            dir.path() +
            ": 0 errors, 1 warning (read swarm.yml); 0 nodes, 1 anchor, 2 dependents\n");

  // With manage_constraints the leader adds the constraint itself: nothing to say.
  dir.Write("swarm.yml",
            "dependencies:\n  vectordb:\n    stack: ai\n    manage_constraints: true\n"
            "    services: [chatui, indexer]\n");
  Run managed = Check({"check", dir.path()}, {}, Answering({Service("ai_chatui", {})}));
  CHECK(managed.code == 0);
  CHECK(managed.out.find("warning:") == std::string::npos);
  CHECK(managed.out.find(": 0 errors, 0 warnings") != std::string::npos);
}

TEST_CASE("config check: says so when it cannot read the services, and still passes",
          "[config][check]") {
  TempDir dir;
  dir.Write("swarm.yml", "dependencies:\n  db:\n    stack: st\n    services: [app]\n");
  Run run = Check({"check", dir.path()}, {}, Unreachable());
  CHECK(run.code == 0);
  CHECK(run.out ==
        "note: the dependents' placement constraints were not checked (the services could not be "
        "read from a manager's Docker daemon: unavailable: cannot connect to "
        "/var/run/docker.sock)\n" +
            dir.path() +
            ": 0 errors, 0 warnings (read swarm.yml); 0 nodes, 1 anchor, 1 dependent\n");
  Run none = Check({"check", dir.path()}, {}, ServiceReader());
  CHECK(none.code == 0);
  CHECK(none.out.rfind("note: the dependents' placement constraints were not checked", 0) == 0);

  // Not asked at all when there is no dependent, or when the files have errors.
  int asked = 0;
  ServiceReader counting = [&asked] {
    ++asked;
    return Result<std::vector<docker::Service>>(std::vector<docker::Service>{});
  };
  dir.Write("swarm.yml", "nodes: {}\n");
  CHECK(Check({"check", dir.path()}, {}, counting).code == 0);
  dir.Write("swarm.yml", "dependencies:\n  db:\n    retry_intervals: [soon]\n    services: [a]\n");
  CHECK(Check({"check", dir.path()}, {}, counting).code == 1);
  CHECK(asked == 0);
}

TEST_CASE("config check: usage errors exit 2", "[config][check]") {
  CHECK(Check({}).code == 2);
  CHECK(Check({"verify"}).code == 2);
  CHECK(Check({"check", "a", "b"}).code == 2);
  Run flag = Check({"check", "--json"});
  CHECK(flag.code == 2);
  CHECK(flag.err.rfind("orcastra config check: unknown flag --json\n", 0) == 0);
  CHECK(flag.out.empty());
  Run help = Check({"check", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.rfind("usage: orcastra config check [DIR]", 0) == 0);
}

}  // namespace
}  // namespace orcastra::config

namespace orcastra::config {
namespace {

TEST_CASE("config check: warns when configuration versions are stored in Swarm (issue 13)",
          "[config][check]") {
  TempDir dir;
  dir.Write("swarm.yml", "nodes: {}\ndependencies: {}\n");
  auto run_with = [&](const StoredVersionReader& stored) {
    std::ostringstream out, err;
    int code =
        RunConfigCommand({"check", dir.path()}, FakeEnv({}), out, err, Answering({}), stored);
    return std::make_pair(code, out.str());
  };
  auto [code, out] = run_with([] {
    return Result<std::vector<std::string>>(
        std::vector<std::string>{"orcastra-config-v2", "orcastra-config-v10"});
  });
  CHECK(code == 0);  // a warning, not an error
  CHECK_THAT(out, Catch::Contains(dir.path() + ": warning: 2 configuration version(s) are stored "
                                               "in Swarm (newest orcastra-config-v10): the leaders "
                                               "use the stored one and ignore this directory"));
  CHECK_THAT(out, Catch::Contains("0 errors, 1 warning"));
  // Nothing stored, or the daemon cannot be asked: nothing said.
  auto [code_none, none] =
      run_with([] { return Result<std::vector<std::string>>(std::vector<std::string>{}); });
  CHECK_THAT(none, !Catch::Contains("stored in Swarm"));
  auto [code_down, down] =
      run_with([] { return Result<std::vector<std::string>>(Status::Unavailable("no daemon")); });
  CHECK_THAT(down, !Catch::Contains("stored in Swarm"));
}

}  // namespace
}  // namespace orcastra::config
