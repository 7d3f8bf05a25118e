#!/usr/bin/env bash
# Fills .gpu-carry/ (git-ignored) with what tools/gpu/pgstrom-device-check.sh needs on a GPU machine without network:
#   pgdeb/    Debian 12's PostgreSQL 15 packages (they run on the GPU machine's Ubuntu 24.04; Debian 13's PostgreSQL 17
#             needs a newer C library than it has)
#   pg-strom/ pg_strom's pinned release, checked out by the role's own module (datatech.mlops.source_checkout)
#   wheels/   with --wheel only: the role's pinned pyarrow wheel for Python 3.12, checked against its sha256 (47 MB;
#             needed only where the machine's own pyarrow carries an Arrow pg_strom cannot build with)
# Usage: MLOPS_PG_STROM_MIRROR=DIR_OR_URL tools/gpu/pgstrom-device-prepare.sh [--wheel]
#   MLOPS_PG_STROM_MIRROR: a git mirror of heterodb/pg-strom (default: the role's postgresql_pg_strom_source_repo).
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=.gpu-carry
defaults=collections/ansible_collections/datatech/mlops/roles/postgresql/defaults/main.yml
value() { .venv/bin/python -c "import sys, yaml; print(yaml.safe_load(open('$defaults'))[sys.argv[1]])" "$1"; }
mkdir -p "$carry/pgdeb"

echo "==> PostgreSQL 15 packages (Debian 12) into $carry/pgdeb"
(cd "$carry/pgdeb" && apt-get download -q postgresql-15 postgresql-client-15 postgresql-server-dev-15 libpq5 libpq-dev \
  libicu72 libicu-dev icu-devtools libldap-2.5-0 libssl-dev libkrb5-dev comerr-dev pkgconf pkgconf-bin libpkgconf3 \
  >/dev/null)

echo "==> pg_strom v$(value postgresql_pg_strom_version) at its pinned commit into $carry/pg-strom (the role's module)"
ANSIBLE_CONFIG=ansible.cfg .venv/bin/ansible localhost -c local -o -m datatech.mlops.source_checkout -a "$(printf \
  'repo=%s version=v%s commit=%s dest=%s paths=src' "${MLOPS_PG_STROM_MIRROR:-$(value postgresql_pg_strom_source_repo)}" \
  "$(value postgresql_pg_strom_version)" "$(value postgresql_pg_strom_source_commit)" "$PWD/$carry/pg-strom")"

if [ "${1:-}" = --wheel ]; then
  version=$(value postgresql_pg_strom_pyarrow_version)
  sha=$(.venv/bin/python -c "import yaml; print(yaml.safe_load(open('$defaults'))['postgresql_pg_strom_pyarrow_sha256']['3.12'])")
  echo "==> pyarrow $version for Python 3.12, refused unless its sha256 is $sha"
  printf 'pyarrow==%s --hash=sha256:%s\n' "$version" "$sha" >"$carry/pyarrow-requirements.txt"
  .venv/bin/pip download -q --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: \
    --python-version 3.12 --platform manylinux_2_28_x86_64 -d "$carry/wheels" -r "$carry/pyarrow-requirements.txt"
fi
du -sh "$carry"
