#!/usr/bin/env bash
# The test command behind `make test`: lint, DAG tests, unit tests, molecule scenarios, the platform end to end (all on
# podman), then the same hosts, site.yml and a molecule scenario on Docker; prints a timing per stage.
# Usage: tools/run-tests.sh [STAGE...]
#   STAGE: lint collection dags-import dags unit molecule molecule:SCENARIO[,SCENARIO...] platform docker
#   Without stages every stage runs, in three lanes at once (their lines prefixed [a] [b] [c]): the hosts spend much of
#   a converge waiting on apt, systemd and Airflow, so a 2-CPU machine runs three lanes in about half the time of one.
#   MLOPS_TEST_LANES=1 runs them one after another instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
TIMINGS=$(mktemp)
trap 'rm -f "$TIMINGS"' EXIT
LANE=${LANE:-}

# One line per finished stage or scenario, in the order they finish, tagged with the lane.
record() {
  echo "${LANE:+[$LANE] }$1" >>"$TIMINGS"
}

run_stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "==> stage $name"
  if "$@"; then
    record "$name: ok in $((SECONDS - start))s"
  else
    record "$name: FAILED after $((SECONDS - start))s"
  fi
}

lint() {
  yamllint --strict . && ruff check . && ruff format --check . && ansible-lint --nocolor &&
    check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml && tools/checkov.sh &&
    NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet
}

# The collection's own standard checks: ansible-test sanity and units.
collection() {
  tools/collection-checks.sh
}

# Every DAG imports with Airflow itself and follows the team's rules (the pipeline's lint stage runs this).
dags_import() {
  tools/dags-env.sh && .venv-dags/bin/pytest -q -ra -p no:cacheprovider dags/tests/test_dag_integrity.py
}

dags() {
  tools/dags-env.sh && .venv-dags/bin/pytest -q -ra -p no:cacheprovider dags/tests
}

unit() {
  pytest -q -ra -m "not platform and not docker" tools/tests
}

# site.yml on fresh local hosts, the example DAG run, delivery failure and rollback, the GitLab jobs.
platform() {
  pytest -q -ra -m platform tools/tests
}

# The second engine: the hosts test and site.yml to a healthy Airflow on Docker hosts (testinfra checks), and
# molecule's own docker driver on the same debootstrap image.
docker_all() {
  MLOPS_DOCKER_IMAGE=${MLOPS_DOCKER_IMAGE:-$(mlopsctl --engine docker image)}
  export MLOPS_DOCKER_IMAGE
  local start=$SECONDS rc=0
  if pytest -q -ra -m docker tools/tests; then
    record "  docker hosts and site.yml: ok in $((SECONDS - start))s"
  else
    record "  docker hosts and site.yml: FAILED after $((SECONDS - start))s"
    rc=1
  fi
  start=$SECONDS
  if molecule test -s docker; then
    record "  molecule docker: ok in $((SECONDS - start))s"
  else
    record "  molecule docker: FAILED after $((SECONDS - start))s"
    rc=1
  fi
  return $rc
}

# Every scenario on podman hosts (Docker's own driver: the docker stage runs that one).
podman_scenarios() {
  local file scenario
  for file in molecule/*/molecule.yml; do
    scenario=$(basename "$(dirname "$file")")
    [ "$scenario" = docker ] || echo "$scenario"
  done
}

molecule_scenarios() {
  MLOPS_BASE_IMAGE=${MLOPS_BASE_IMAGE:-$(mlopsctl image)}
  export MLOPS_BASE_IMAGE
  local scenario rc=0
  for scenario in "$@"; do
    local start=$SECONDS
    echo "==> molecule scenario $scenario"
    if molecule test -s "$scenario"; then
      record "  molecule $scenario: ok in $((SECONDS - start))s"
    else
      record "  molecule $scenario: FAILED after $((SECONDS - start))s"
      rc=1
    fi
  done
  return $rc
}

run_named() {
  local stage=$1
  case $stage in
    lint) run_stage lint lint ;;
    collection) run_stage collection collection ;;
    dags-import) run_stage dags-import dags_import ;;
    dags) run_stage dags dags ;;
    unit) run_stage unit unit ;;
    platform) run_stage platform platform ;;
    molecule) run_stage molecule molecule_scenarios $(podman_scenarios) ;;
    molecule:*) local list=${stage#molecule:}; run_stage "$stage" molecule_scenarios ${list//,/ } ;;
    docker) run_stage docker docker_all ;;
    *) echo "unknown stage $stage (known: lint collection dags-import dags unit molecule molecule:SCENARIO[,...]" \
      "platform docker)" >&2; exit 2 ;;
  esac
}

run_lane() {
  local stage
  for stage in "$@"; do run_named "$stage"; done
}

start=$SECONDS
if [ $# -gt 0 ] || [ "${MLOPS_TEST_LANES:-3}" = 1 ]; then
  [ $# -gt 0 ] || set -- lint collection dags unit molecule platform docker
  run_lane "$@"
else
  # Both base images first: the lanes would otherwise build the same image at once.
  MLOPS_BASE_IMAGE=$(mlopsctl image)
  MLOPS_DOCKER_IMAGE=$(mlopsctl --engine docker image)
  export MLOPS_BASE_IMAGE MLOPS_DOCKER_IMAGE
  # The three longest scenarios beside Docker's, the rest in the third lane; about the same length each.
  heavy="airflow dag_bundle backup"
  light=$(podman_scenarios | grep -vxF -f <(tr ' ' '\n' <<<"$heavy") | paste -sd,)
  declare -a pids=()
  (LANE=a run_lane lint collection dags unit platform) 2>&1 | sed -u 's/^/[a] /' &
  pids+=($!)
  (LANE=b run_lane "molecule:${heavy// /,}" docker) 2>&1 | sed -u 's/^/[b] /' &
  pids+=($!)
  (LANE=c run_lane "molecule:$light") 2>&1 | sed -u 's/^/[c] /' &
  pids+=($!)
  wait "${pids[@]}"
fi

echo
echo "==> timings (total $((SECONDS - start))s)"
sed 's/^/  /' "$TIMINGS"
! grep -q FAILED "$TIMINGS"
