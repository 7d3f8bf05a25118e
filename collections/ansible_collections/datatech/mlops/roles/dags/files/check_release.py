"""Parses a staged DAG release as Airflow's DAG processor does (BundleDagBag, the class behind
`airflow dags list --local`), in one process; prints {"dags": [ids], "errors": {file: traceback}} as the last line."""

import json
import sys
from pathlib import Path

from airflow.dag_processing.dagbag import BundleDagBag

release = Path(sys.argv[1])
bag = BundleDagBag(dag_folder=release, bundle_path=release, bundle_name="dags-folder")
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": bag.import_errors}))
