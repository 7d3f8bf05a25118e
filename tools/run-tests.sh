#!/usr/bin/env bash
# The test command behind `make test`: lint, unit tests, molecule scenarios; prints a timing per stage.
# Usage: tools/run-tests.sh [lint|unit|molecule]...   (default: all stages)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint unit molecule)
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
  yamllint --strict . && ruff check . && ruff format --check . && ansible-lint --nocolor
}

unit() {
  pytest -q -ra tools/tests
}

molecule_all() {
  MLOPS_BASE_IMAGE=$(mlopsctl image)
  export MLOPS_BASE_IMAGE
  local scenario rc=0
  for scenario in $(ls molecule); do
    [ -f "molecule/$scenario/molecule.yml" ] || continue
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
    unit) run_stage unit unit ;;
    molecule) run_stage molecule molecule_all ;;
    *) echo "unknown stage $stage (known: lint unit molecule)" >&2; exit 2 ;;
  esac
done

echo
echo "==> timings"
printf '  %s\n' "${timings[@]}"
exit $failed
