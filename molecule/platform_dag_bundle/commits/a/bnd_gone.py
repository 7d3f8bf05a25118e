"""bnd_gone: only in commit a of the DAG bundle scenario (molecule/dag_bundle)."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="bnd_gone", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["bundle-test"])
def bnd_gone():
    @task
    def hello() -> str:
        return "gone"

    hello()


bnd_gone()
