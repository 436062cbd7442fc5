# Shared by the end-to-end tests (sourced): logging, the lab lock and cleanup, the CLI inside a lab
# node, bounded waits on conditions, and deploying Orcastra's stack from the local build.
#
# Before sourcing, set: orcastra (the binary), e2e_name (prefix of log lines). Optional hooks:
# e2e_diagnose (extra diagnostics on failure), e2e_config_dir (removed at the end).
#
# Security: e2e_deploy makes the test's own keys (never the machine's /etc/orcastra/keys) in
# $e2e_keys (removed at the end), turns them into Docker secrets with deploy/secrets as
# deploy/quickstart does, and exports ORCASTRA_KEY (the operator key) for the CLI.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lab=$root/deploy/lab/lab
stack=orcastra
busybox=198.51.100.1:5000/lab/busybox:1
orc_image=198.51.100.1:5000/orcastra/orcastra:e2e
failed=0

log() { printf '[%s %4ds] %s\n' "$e2e_name" "$SECONDS" "$*"; }
fail() {
  log "FAIL: $*"
  failed=1
}
pass() { log "ok: $*"; }

diagnose() {
  log "diagnostics:"
  docker service ls 2>&1 | sed 's/^/    /' || true
  docker service ps --no-trunc "${stack}_agent" "${stack}_leader" 2>&1 | tail -20 | sed 's/^/    /' || true
  docker service logs --tail 40 "${stack}_leader" 2>&1 | sed 's/^/    /' || true
  docker service logs --tail 20 "${stack}_agent" 2>&1 | sed 's/^/    /' || true
  if declare -F e2e_diagnose >/dev/null; then e2e_diagnose; fi
}

e2e_cleanup() {
  local rc=$?
  if ((rc != 0 || failed != 0)); then diagnose; fi
  "$lab" down >/dev/null 2>&1 || true
  [ -n "${e2e_config_dir:-}" ] && rm -rf "$e2e_config_dir"
  [ -n "${e2e_keys_root:-}" ] && rm -rf "$e2e_keys_root"
  return 0
}

# Takes the machine's lab lock (one lab per machine: concurrent runs queue), refuses a lab that is
# already up (someone else's), and takes the lab down on exit whatever happens.
e2e_begin() {
  exec 9>/run/orclab.lock
  flock 9
  # The time waited for another lab user, so the test's own time shows apart from the queue.
  log "holding the lab lock (waited ${SECONDS}s)"
  if "$lab" status >/dev/null 2>&1; then
    echo "$e2e_name: a lab is already up; take it down first (deploy/lab/lab down)" >&2
    exit 1
  fi
  trap e2e_cleanup EXIT
}

e2e_end() {
  if ((failed)); then
    log "FAILED"
    exit 1
  fi
  log "PASSED"
}

# Runs the CLI inside a lab node, where it reaches that node's leader instance with no flags.
cli_on() {
  local node=$1
  shift
  "$lab" exec "$node" -- "$orcastra" "$@"
}

# The hostname of the active leader instance as the instance on NODE (default m1) sees it; empty
# when it knows none.
active_leader() {
  cli_on "${1:-m1}" status --json --timeout 3s 2>/dev/null | jq -r '.leader.hostname // empty'
}

# wait_for QUERY NODE SECONDS JQ_CONDITION: polls `QUERY --json` on NODE until the condition holds;
# prints the seconds it took, or returns 1 on timeout (logging the last answer).
wait_for() {
  local query=$1 node=$2 limit=$3 condition=$4 start=$SECONDS json
  while ((SECONDS - start <= limit)); do
    if json=$(cli_on "$node" "$query" --json --timeout 2s 2>/dev/null) && jq -e "$condition" <<<"$json" >/dev/null; then
      echo $((SECONDS - start))
      return 0
    fi
    sleep 0.5
  done
  log "last answer from $node: $(cli_on "$node" "$query" --json --timeout 2s 2>&1 | jq -c . 2>&1 | cut -c1-1500)"
  return 1
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.5 s until it succeeds; prints the seconds it
# took, or returns 1 on timeout.
wait_until() {
  local limit=$1 start=$SECONDS
  shift
  while ((SECONDS - start <= limit)); do
    if "$@" >/dev/null 2>&1; then
      echo $((SECONDS - start))
      return 0
    fi
    sleep 0.5
  done
  return 1
}

all_reporting='length == 5 and all(.[]; .state == "ready" and .agent.connected
  and .memory.total_bytes > 0 and .memory.available_bytes > 0 and .memory.used_bytes > 0
  and .memory.used_percent > 0)'

# Brings up the 3+2 lab, builds the image from the local build and deploys the stack with the
# configuration in $e2e_config_dir (created with an empty swarm.yml when unset), the keys in
# $e2e_keys and the web view's read-only token in $e2e_token_file (made by deploy/secrets). Extra
# variables for `docker stack deploy` come from the environment; $e2e_memory_source replaces the
# agents' memory source (default: each node's cgroup).
e2e_deploy() {
  log "lab up 3 2"
  "$lab" up 3 2 >/dev/null
  export DOCKER_HOST="unix://$("$lab" sock m1)"
  "$root/deploy/image/build" "$orc_image" "$(dirname "$orcastra")" >/dev/null
  if [ -z "${e2e_config_dir:-}" ]; then
    e2e_config_dir=$(mktemp -d /tmp/orcastra-e2e-config.XXXXXX)
    printf 'nodes: {}\ndependencies: {}\n' >"$e2e_config_dir/swarm.yml"
  fi
  if [ -z "${e2e_keys:-}" ]; then
    e2e_keys_root=$(mktemp -d /tmp/orcastra-e2e-keys.XXXXXX)
    e2e_keys=$e2e_keys_root/keys
    "$orcastra" keys init "$e2e_keys" >/dev/null
  fi
  eval "$("$root/deploy/secrets" "$e2e_keys" 2>/dev/null)"
  export ORCASTRA_KEY=$e2e_keys/operator.key
  local cgroup_parent
  cgroup_parent=$(dirname "$("$lab" cgroup m1)")
  # The web view's read-only token: deploy/secrets made it in the keys directory.
  e2e_token_file=$e2e_keys/http.token
  local memory_source="cgroup:/host$cgroup_parent/{{.Node.Hostname}}"
  [ -n "${e2e_memory_source:-}" ] && memory_source=$e2e_memory_source
  log "deploying the stack (CURVE, keys in $e2e_keys)"
  ORCASTRA_CONFIG_HOST_DIR=$e2e_config_dir ORCASTRA_IMAGE=$orc_image \
    ORCASTRA_MEMORY_SOURCE="$memory_source" \
    docker stack deploy --resolve-image never -c "$root/deploy/stack.yml" "$stack" >/dev/null
}

# The ids of the running tasks of Orcastra's services, one "service node task" line each, sorted:
# compared before and after something to prove that nothing was restarted (Swarm's own record).
orcastra_tasks() {
  local service
  for service in "${stack}_agent" "${stack}_leader"; do
    docker service ps --filter desired-state=running --format "$service {{.Node}} {{.ID}} {{.CurrentState}}" "$service" |
      awk '$4 == "Running" {print $1, $2, $3}'
  done | sort
}
