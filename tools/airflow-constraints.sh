#!/usr/bin/env bash
# Regenerates the Airflow role's constraints file: resolves Airflow + providers from PyPI with this machine's Python.
# Usage: tools/airflow-constraints.sh VERSION [PROVIDER_SPEC...]   (run with the Python of the target hosts)
set -euo pipefail
version=${1:?usage: $0 VERSION [PROVIDER_SPEC...]}; shift || true
# The providers the role can install: postgres always, fab for its auth manager, git for GitDagBundle delivery,
# celery for the CeleryExecutor.
if [ $# -gt 0 ]; then providers=("$@"); else
  providers=(apache-airflow-providers-postgres apache-airflow-providers-fab apache-airflow-providers-git
    apache-airflow-providers-celery); fi
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
out="collections/ansible_collections/datatech/mlops/roles/airflow/files/constraints-$version-py$py.txt"
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
echo "==> resolving apache-airflow==$version ${providers[*]} on Python $py (about a minute)"
"$venv/bin/pip" install --quiet --disable-pip-version-check "apache-airflow==$version" "${providers[@]}"
{
  echo "# Constraints for apache-airflow $version + ${providers[*]} on Python $py."
  echo "# Resolved from PyPI by pip; regenerate with tools/airflow-constraints.sh $version."
  "$venv/bin/pip" freeze --disable-pip-version-check | sort -f
} > "$out"
echo "written: $out"
