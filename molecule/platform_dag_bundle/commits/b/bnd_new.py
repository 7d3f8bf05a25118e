"""bnd_new: arrives with commit b of the DAG bundle scenario (molecule/dag_bundle)."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="bnd_new", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["bundle-test"])
def bnd_new():
    @task
    def hello() -> str:
        return "new"

    hello()


bnd_new()
