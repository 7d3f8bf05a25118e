#!/usr/bin/env bash
# The test command behind `make test`: lint, DAG tests, unit tests, molecule scenarios, the platform end to end (all on
# podman), then the same hosts, site.yml and a molecule scenario on Docker; prints a timing per stage.
# Usage: tools/run-tests.sh [lint|collection|dags-import|dags|unit|molecule|platform|docker]...
#   (default: lint collection dags unit molecule platform docker)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint collection dags unit molecule platform docker)
declare -a timings=()
failed=0

run_stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "==> stage $name"
  if "$@"; then
    timings+=("$name: ok in $((SECONDS - start))s")
  else
    timings+=("$name: FAILED after $((SECONDS - start))s")
    failed=1
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
  MLOPS_DOCKER_IMAGE=$(mlopsctl --engine docker image)
  export MLOPS_DOCKER_IMAGE
  local start=$SECONDS rc=0
  if pytest -q -ra -m docker tools/tests; then
    timings+=("  docker hosts and site.yml: ok in $((SECONDS - start))s")
  else
    timings+=("  docker hosts and site.yml: FAILED after $((SECONDS - start))s")
    rc=1
  fi
  start=$SECONDS
  if molecule test -s docker; then
    timings+=("  molecule docker: ok in $((SECONDS - start))s")
  else
    timings+=("  molecule docker: FAILED after $((SECONDS - start))s")
    rc=1
  fi
  return $rc
}

molecule_all() {
  MLOPS_BASE_IMAGE=$(mlopsctl image)
  export MLOPS_BASE_IMAGE
  local scenario rc=0
  for scenario in $(ls molecule); do
    [ -f "molecule/$scenario/molecule.yml" ] || continue
    [ "$scenario" != docker ] || continue  # Docker's own driver: the docker stage runs it
    local start=$SECONDS
    echo "==> molecule scenario $scenario"
    if molecule test -s "$scenario"; then
      timings+=("  molecule $scenario: ok in $((SECONDS - start))s")
    else
      timings+=("  molecule $scenario: FAILED after $((SECONDS - start))s")
      rc=1
    fi
  done
  return $rc
}

for stage in "${stages[@]}"; do
  case $stage in
    lint) run_stage lint lint ;;
    collection) run_stage collection collection ;;
    dags-import) run_stage dags-import dags_import ;;
    dags) run_stage dags dags ;;
    unit) run_stage unit unit ;;
    platform) run_stage platform platform ;;
    molecule) run_stage molecule molecule_all ;;
    docker) run_stage docker docker_all ;;
    *) echo "unknown stage $stage (known: lint collection dags-import dags unit molecule platform docker)" >&2; exit 2 ;;
  esac
done

echo
echo "==> timings"
printf '  %s\n' "${timings[@]}"
exit $failed
