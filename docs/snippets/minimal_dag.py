"""A minimal DAG: three TaskFlow tasks that read from and write to the warehouse through `postgres_dwh`.

Copy it to dags/<your_pipeline>.py and rename the DAG function (the DAG id) and the table. Run it once in one
process, without a scheduler, with `python dags/<your_pipeline>.py` (see "Testing locally").
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import dag, task

TABLE = "minimal_pipeline_runs"  # unqualified: the dwh user's default schema, or your own schema when you debug


@dag(
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ml", "example"],
    default_args={"owner": "ml-team", "retries": 1},
    # New DAGs arrive paused; False starts this one's schedule as soon as it is deployed.
    is_paused_upon_creation=True,
)
def minimal_pipeline():
    @task
    def extract() -> list[int]:
        rows = PostgresHook(postgres_conn_id="postgres_dwh").get_records("SELECT g FROM generate_series(1, 10) g")
        return [row[0] for row in rows]

    @task
    def summarize(values: list[int]) -> dict[str, int]:
        return {"n": len(values), "total": sum(values)}

    @task
    def load(summary: dict[str, int], run_id: str | None = None) -> None:
        hook = PostgresHook(postgres_conn_id="postgres_dwh")
        hook.run(f"CREATE TABLE IF NOT EXISTS {TABLE} (run_id text PRIMARY KEY, n int, total int)")
        hook.run(
            f"INSERT INTO {TABLE} VALUES (%(run_id)s, %(n)s, %(total)s) ON CONFLICT (run_id) DO UPDATE "
            "SET n = EXCLUDED.n, total = EXCLUDED.total",
            parameters={"run_id": run_id, **summary},
        )

    load(summarize(extract()))


minimal_dag = minimal_pipeline()

if __name__ == "__main__":
    minimal_dag.test()
