"""bnd_stay: in every commit of the DAG bundle scenario (molecule/dag_bundle)."""

from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="bnd_stay", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["bundle-test"])
def bnd_stay():
    @task
    def hello() -> str:
        return "stay"

    hello()


bnd_stay()
