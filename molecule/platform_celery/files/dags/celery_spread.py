"""Eight mapped tasks for the CeleryExecutor scenario: each sleeps a little and says which host ran it."""

from __future__ import annotations

import socket
import time

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["molecule"])
def celery_spread():
    @task(retries=2, retry_delay=pendulum.duration(seconds=5))
    def work(n: int) -> str:
        host = socket.gethostname()
        print(f"celery-spread task {n} ran on {host}")
        time.sleep(8)
        return host

    work.expand(n=list(range(8)))


celery_spread()
