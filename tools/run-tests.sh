#!/usr/bin/env bash
# The test command behind `make test`: lint, DAG tests, unit tests, molecule scenarios, the platform end to end (all on
# podman), then the same hosts, site.yml and a molecule scenario on Docker; prints a timing per stage.
# Usage: tools/run-tests.sh [STAGE...]
#   STAGE: lint collection dags-import dags unit hosts molecule molecule:SCENARIO[@RELEASE][,...] platform platform:FILE docker
#   Molecule scenarios: each role's own in collections/ansible_collections/datatech/mlops/roles/ROLE/molecule/SCENARIO
#   (run from the role's directory), the platform's in molecule/SCENARIO (platform_*, run from the root).
#   Without stages every stage runs, split into jobs (each molecule scenario and each platform test file is one) that
#   three workers take from one queue, longest first; their lines are prefixed [1] [2] [3]. The hosts spend much of a
#   converge waiting on apt, systemd and Airflow, so a 2-CPU machine runs three at once in about half the time of one.
#   MLOPS_TEST_WORKERS=1 runs the stages one after another instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
TIMINGS=$(mktemp)
LANE=${LANE:-}

# One line per finished stage or scenario, said now and again in the summary (in the order they finished).
record() {
  echo "==> $1"
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

# No container engine needed: mlopsctl, the docs, Terraform and k8s files, the repository's own rules.
unit() {
  pytest -q -ra -m "not platform and not docker and not hosts" tools/tests
}

# mlopsctl's hosts and the release install booted for real (podman; their Docker half is in the docker stage).
hosts() {
  pytest -q -ra -m "hosts and not platform and not docker" tools/tests
}

# site.yml on fresh local hosts, the example DAG run, delivery failure and rollback, the GitLab jobs, backup and PITR.
platform() {
  pytest -q -ra --durations=12 -m platform "${@:-tools/tests}"
}

platform_files() {
  grep -l "pytest.mark.platform" tools/tests/test_*.py | xargs -n1 basename
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
  if molecule test -s platform_db_docker; then
    record "  molecule platform_db_docker: ok in $((SECONDS - start))s"
  else
    record "  molecule platform_db_docker: FAILED after $((SECONDS - start))s"
    rc=1
  fi
  return $rc
}

# Scenarios that also run on Debian 12 (bookworm), the release before the default trixie: it stays supported.
BOOKWORM_SCENARIOS=(platform_db platform_airflow)

# Where molecule finds its scenarios: each role's own beside the role, the platform's at the root (names are unique).
SCENARIO_FILES=(molecule/*/molecule.yml collections/ansible_collections/datatech/mlops/roles/*/molecule/*/molecule.yml)

# The directory molecule runs SCENARIO from: its role's directory, or the root for a platform scenario.
scenario_home() {
  local file
  for file in "${SCENARIO_FILES[@]}"; do
    if [ "$(basename "$(dirname "$file")")" = "$1" ]; then
      dirname "$(dirname "$(dirname "$file")")"
      return 0
    fi
  done
  echo "no molecule scenario $1 (known: $(scenario_names | tr '\n' ' '))" >&2
  return 1
}

scenario_names() {
  local file
  for file in "${SCENARIO_FILES[@]}"; do basename "$(dirname "$file")"; done
}

# Every scenario on podman hosts (Docker's own driver: the docker stage runs that one), and the Debian 12 runs.
podman_scenarios() {
  scenario_names | grep -vxF platform_db_docker
  printf '%s@bookworm\n' "${BOOKWORM_SCENARIOS[@]}"
}

# SCENARIO or SCENARIO@RELEASE, from its home directory; MOLECULE_PROJECT_DIRECTORY stays the checkout (the base
# config's paths: shared playbooks, collections, strategy plugins). @RELEASE: the scenario on another Debian release, on
# hosts, a network and a molecule state directory of their own, so both runs of a scenario can go at once.
molecule_scenario() {
  local scenario=${1%@*} release= home
  [[ $1 == *@* ]] && release=${1#*@}
  home=$(scenario_home "$scenario") || return 1
  if [ -z "$release" ]; then
    (cd "$home" && MOLECULE_PROJECT_DIRECTORY=$ROOT molecule test -s "$scenario")
  else
    (cd "$home" && MOLECULE_PROJECT_DIRECTORY=$ROOT MLOPS_MOLECULE_DISTRIBUTION=$release \
      MLOPS_MOLECULE_HOST_SUFFIX=-$release \
      MOLECULE_EPHEMERAL_DIRECTORY="${XDG_CACHE_HOME:-$HOME/.cache}/molecule-releases/$scenario-$release" \
      molecule test -s "$scenario")
  fi
}

# Scenarios that need an input from outside the repository, and the variable that gives it; without it they are
# skipped with that reason (pg_strom's source is never committed here).
declare -A SCENARIO_NEEDS=([pg_strom_build]=MLOPS_PG_STROM_MIRROR)

molecule_scenarios() {
  MLOPS_BASE_IMAGE=${MLOPS_BASE_IMAGE:-$(mlopsctl image)}
  export MLOPS_BASE_IMAGE
  local scenario rc=0 needs
  for scenario in "$@"; do
    local start=$SECONDS
    needs=${SCENARIO_NEEDS[${scenario%@*}]:-}
    if [ -n "$needs" ] && [ -z "${!needs:-}" ]; then
      record "  molecule $scenario: skipped ($needs is not set: it names a git mirror of heterodb/pg-strom)"
      continue
    fi
    echo "==> molecule scenario $scenario"
    if molecule_scenario "$scenario"; then
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
    hosts) run_stage hosts hosts ;;
    platform) run_stage platform platform ;;
    molecule) run_stage molecule molecule_scenarios $(podman_scenarios) ;;
    molecule:*) local list=${stage#molecule:}; molecule_scenarios ${list//,/ } || true ;;
    platform:*) run_stage "$stage" platform "tools/tests/${stage#platform:}" ;;
    docker) run_stage docker docker_all ;;
    *) echo "unknown stage $stage (known: lint collection dags-import dags unit hosts molecule molecule:SCENARIO[,...]" \
      "platform platform:FILE docker)" >&2; exit 2 ;;
  esac
}

QUEUE=$(mktemp)
JOB_LOGS=$(mktemp -d)
trap 'rm -rf "$TIMINGS" "$QUEUE" "$QUEUE.lock" "$JOB_LOGS"' EXIT

# The queue's first job, taken off it under a lock (empty once the queue is).
take() {
  (
    flock 9
    head -n1 "$QUEUE"
    sed -i 1d "$QUEUE"
  ) 9>"$QUEUE.lock"
}

# Each job's output is also kept in its own file, so a failure's cause is printed whole at the end, not lost among the
# other workers' lines.
worker() {
  local job
  while job=$(take) && [ -n "$job" ]; do run_named "$job" 2>&1 | tee "$JOB_LOGS/${job//[^A-Za-z0-9_.-]/_}.log"; done
}

start=$SECONDS
if [ $# -gt 0 ] || [ "${MLOPS_TEST_WORKERS:-3}" = 1 ]; then
  [ $# -gt 0 ] || set -- lint collection dags unit hosts molecule platform docker
  for stage in "$@"; do run_named "$stage"; done
else
  # Both base images first: the workers would otherwise build the same image at once.
  # A failed build fails only the jobs that need the image (they try again and say why); the rest still run.
  MLOPS_BASE_IMAGE=$(mlopsctl image) || MLOPS_BASE_IMAGE=
  mlopsctl image --distribution bookworm >/dev/null || true
  MLOPS_DOCKER_IMAGE=$(mlopsctl --engine docker image) || MLOPS_DOCKER_IMAGE=
  export MLOPS_BASE_IMAGE MLOPS_DOCKER_IMAGE
  # Longest first (figures of the last runs), so no worker is left with a long job at the end.
  {
    echo platform:test_platform_real.py
    echo docker
    echo molecule:platform_airflow
    echo molecule:platform_airflow@bookworm
    echo molecule:platform_celery
    echo molecule:platform_dag_bundle
    echo hosts
    podman_scenarios | grep -vxF -e platform_airflow -e platform_airflow@bookworm -e platform_celery \
      -e platform_dag_bundle |
      sed 's/^/molecule:/'
    platform_files | grep -vxF test_platform_real.py | sed 's/^/platform:/'
    printf '%s\n' lint collection unit dags
  } >"$QUEUE"
  declare -a pids=()
  for n in 1 2 3; do
    (LANE=$n worker) 2>&1 | sed -u "s/^/[$n] /" &
    pids+=($!)
  done
  wait "${pids[@]}"
fi

failed_logs=$(grep -l '^==> .*FAILED after' "$JOB_LOGS"/*.log 2>/dev/null || true)
for log in $failed_logs; do
  echo
  echo "==> the last 150 lines of the failed job $(basename "$log" .log)"
  tail -n 150 "$log"
done
echo
echo "==> timings (total $((SECONDS - start))s)"
sed 's/^/  /' "$TIMINGS"
# Whoever reads only the end of the output still sees why each failed job failed.
for log in $failed_logs; do
  echo "==> why $(basename "$log" .log) failed:"
  grep -E 'fatal: |FAILED!|^E  |Error:|ERROR ' "$log" | cut -c1-400 | tail -n 8 | sed 's/^/  /' || true
done
! grep -q FAILED "$TIMINGS"
