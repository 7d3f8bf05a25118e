#!/usr/bin/env bash
# The collection's own standard checks: ansible-test sanity (docs, imports, validate-modules, ...) and
# ansible-test units, without containers: ansible-test makes its own venvs and pip-installs their requirements.
# Usage: tools/collection-checks.sh [sanity|units]...   (default: sanity units); needs .venv (make venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
python_version=3.11
export PATH="$venv/bin:$PATH" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(sanity units)

# ansible-test downloads a get-pip.py from ci-files.testing.ansible.com to put pip into each new venv; only PyPI is
# reachable from the build machines, so this stand-in does the same from the venv's ensurepip plus PyPI.
pip_bootstrap() {
  local pip_version cache
  pip_version=$("$venv/bin/python" -c '
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="'"$python_version"'"))["pip"])')
  cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  [ -f "$cache" ] && ! grep -q 'Stand-in for get-pip.py' "$cache" && return 0
  mkdir -p "$(dirname "$cache")"
  cat >"$cache.tmp" <<'EOF'
"""Stand-in for get-pip.py (written by tools/collection-checks.sh): ensurepip, then pip from the package index."""

import subprocess
import sys

# In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null, which would drop the machine's pip settings (CA).
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
EOF
  mv "$cache.tmp" "$cache"
}

# ansible-test reads the collection's name from its path, so it runs inside ansible_collections/datatech/mlops.
cd "$root/collections/ansible_collections/datatech/mlops"
pip_bootstrap

declare -a timings=()
failed=0
for stage in "${stages[@]}"; do
  start=$SECONDS
  case $stage in
    sanity) cmd=(ansible-test sanity --venv --python "$python_version" --color no) ;;
    units) cmd=(ansible-test units --venv --python "$python_version" --color no) ;;
    *) echo "unknown stage $stage (known: sanity units)" >&2; exit 2 ;;
  esac
  echo "==> ${cmd[*]}"
  if "${cmd[@]}"; then
    timings+=("$stage: ok in $((SECONDS - start))s")
  else
    timings+=("$stage: FAILED after $((SECONDS - start))s")
    failed=1
  fi
done
printf '  %s\n' "${timings[@]}"
exit $failed
