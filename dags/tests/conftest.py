"""DAG tests run against a throwaway AIRFLOW_HOME, so they never touch a real deployment's configuration."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DAGS_DIR = Path(__file__).resolve().parents[1]

# Airflow reads its configuration at import time: point it at an empty home before any test imports it.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
# The DAG processor puts the DAGs folder on sys.path; the tests do the same for the helper package.
sys.path.insert(0, str(DAGS_DIR))
