"""A task's view of the Airflow host: whose process it is, which of Airflow's secret files it can open, and whether
the data warehouse still answers through the postgres_dwh connection (the Execution API hands it over)."""

from __future__ import annotations

import os
import pwd
from datetime import datetime, timedelta

from airflow.sdk import dag, task

SECRET_FILES = [
    "/etc/airflow/airflow.cfg",
    "/etc/airflow/connections.json",
    "/etc/airflow/accounts.json",
    "/var/lib/airflow/simple_auth_manager_passwords.json",
]


# One retry, as a production DAG has: what the probe checks (who runs it, what it can open) holds on any try, and the
# verify prints every try's log when the run still fails.
@dag(
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["probe"],
    default_args={"retries": 1, "retry_delay": timedelta(seconds=5)},
)
def mlops_probe():
    @task
    def probe() -> dict:
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        opened = {}
        for path in SECRET_FILES:
            try:
                with open(path, "rb"):
                    opened[path] = "read"
            except PermissionError:
                opened[path] = "refused"
            except FileNotFoundError:
                opened[path] = "absent"
        dwh_user = PostgresHook(postgres_conn_id="postgres_dwh").get_first("SELECT current_user")[0]
        return {"user": pwd.getpwuid(os.geteuid()).pw_name, "opened": opened, "dwh_user": dwh_user}

    probe()


mlops_probe()
