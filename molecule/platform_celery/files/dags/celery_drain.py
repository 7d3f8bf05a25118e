"""One long task for the CeleryExecutor scenario: its worker is stopped while it runs, and a retry on the other
worker finishes the run."""

from __future__ import annotations

import socket
import time

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["molecule"])
def celery_drain():
    @task(retries=3, retry_delay=pendulum.duration(seconds=5))
    def long_work() -> str:
        host = socket.gethostname()
        print(f"celery-drain ran on {host}")
        time.sleep(45)
        return host

    long_work()


celery_drain()
