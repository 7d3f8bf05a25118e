#!/usr/bin/env bash
# checkov on terraform/ and .gitlab-ci.yml, from its own pinned virtualenv (its dependencies clash with the tooling's).
# --skip-download: no call to Prisma Cloud (it also fails behind the build machines' proxy). No check is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-checkov version=3.3.30
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$version" ]; then
  echo "==> checkov $version into $venv (about two minutes, once)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$version" 2> >(grep -v "^WARNING: Location" >&2)
  echo "$version" > "$venv/.installed"
fi
"$venv/bin/checkov" --directory terraform --file .gitlab-ci.yml --framework terraform gitlab_ci \
  --skip-download --compact --quiet --hard-fail-on LOW
