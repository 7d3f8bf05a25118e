#!/usr/bin/env bash
# The DAG test environment (.venv-dags): the Airflow release of group_vars/airflow.yml with its providers and the
# DAGs' own requirements, pinned by the constraints file the airflow role ships. Used by make, run-tests.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${DAGS_VENV:-.venv-dags}
version=$(sed -n 's/^airflow_version: *"\{0,1\}\([0-9.]*\)"\{0,1\}$/\1/p' group_vars/airflow.yml)
python=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
constraints=collections/ansible_collections/datatech/mlops/roles/airflow/files/constraints-$version-py$python.txt
if [ -z "$version" ] || [ ! -f "$constraints" ]; then
  echo "no constraints for Airflow '$version' on Python $python ($constraints); see tools/airflow-constraints.sh" >&2
  exit 1
fi
stamp=$(cat "$constraints" dags/requirements.txt | sha1sum | cut -c1-12)
if [ "$(cat "$venv/.installed" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
echo "==> DAG test environment: Airflow $version + dags/requirements.txt into $venv (about a minute)"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --constraint "$constraints" \
  "apache-airflow==$version" apache-airflow-providers-postgres pytest -r dags/requirements.txt \
  2> >(grep -v "^WARNING: Location" >&2)
echo "$stamp" > "$venv/.installed"
