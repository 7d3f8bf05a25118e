"""`mlopsctl bench workers`: the same CPU-bound tasks on one Celery worker and on two (the second worker stopped, then
started again), same task slots per worker, each run's time as Airflow records it (the DAG run's start to end)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from mlopsctl.airflow_api import AirflowApi
from mlopsctl.dags import dags_extra_vars
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.lab.bench import bench_playbook, row
from mlopsctl.lab.config import LocalConfig
from mlopsctl.lab.engine import Engine
from mlopsctl.progress import say

DAG_ID = "bench_workers"
WORKER_GROUP = "airflow_workers"
WORKER_UNIT = "airflow-worker.service"
AIRFLOW_DEFAULTS = Path("collections/ansible_collections/datatech/mlops/roles/airflow/defaults/main.yml")
# Seconds one worker must need for the whole run (the floor), and the waves of tasks its slots work through.
ONE_WORKER_SECONDS = 32.0
WAVES = 4
RUN_TIMEOUT = 900.0
# The block each round hashes; a round is a fixed amount of CPU work, so the tasks take as long on any worker.
BLOCK_SIZE = 4096

DAG_TEMPLATE = """
import hashlib
import socket
from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["bench"],
     max_active_runs=1, max_active_tasks={tasks}, default_args={{"owner": "bench", "retries": 0}})
def bench_workers():
    @task
    def burn(index: int) -> str:
        digest, block = b"", bytes({block_size})
        for _ in range({rounds}):
            digest = hashlib.sha256(digest + block).digest()
        return socket.gethostname()

    burn.expand(index=list(range({tasks})))


bench_workers()
"""


@dataclass(frozen=True)
class Plan:
    """How many tasks, and the hashing rounds of each, for a run of ONE_WORKER_SECONDS on one worker."""

    tasks: int
    rounds: int
    task_seconds: float


def rounds_per_second(seconds: float = 0.5) -> float:
    """This machine's hashing speed (the local hosts share its CPU), measured for `seconds`."""
    digest, block, done, start = b"", bytes(BLOCK_SIZE), 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(1000):
            digest = hashlib.sha256(digest + block).digest()
        done += 1000
    return done / elapsed


def plan(slots: int, speed: float) -> Plan:
    """WAVES tasks per slot of one worker; each task's work such that one worker needs ONE_WORKER_SECONDS."""
    if slots < 1:
        raise ConfigError(f"bench workers: a worker's task slots must be 1 or more, not {slots}")
    tasks = WAVES * slots
    task_seconds = ONE_WORKER_SECONDS / WAVES
    return Plan(tasks, max(1, round(task_seconds * speed)), task_seconds)


def workers(cfg: LocalConfig) -> list[str]:
    """The local hosts of airflow_workers, in mlopsctl.toml's order; two are needed."""
    names = [h.name for h in cfg.hosts if WORKER_GROUP in h.groups]
    if len(names) < 2:
        raise ConfigError(
            f"bench workers: needs two hosts in {WORKER_GROUP} (mlopsctl.toml has {len(names)}): add"
            ' [local.hosts.wrk01] and [local.hosts.wrk02] with groups = ["airflow_workers"], then `mlopsctl up`'
        )
    return names[:2]


def worker_slots(root: Path, inventory: Path, host: str) -> int:
    """A worker's task slots: airflow_celery_concurrency from the inventory, else the airflow role's default."""
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inventory), "--host", host],
        capture_output=True,
        text=True,
        cwd=root,
    )
    if shown.returncode != 0:
        raise CommandError(f"bench workers: ansible-inventory cannot read {inventory}: {shown.stderr.strip()[-300:]}")
    host_vars = json.loads(shown.stdout)
    if host_vars.get("airflow_celery_autoscale"):
        raise ConfigError(f"bench workers: {host} autoscales; the benchmark needs a fixed airflow_celery_concurrency")
    defaults = yaml.safe_load((root / AIRFLOW_DEFAULTS).read_text())
    return int(host_vars.get("airflow_celery_concurrency", defaults["airflow_celery_concurrency"]))


def duration(run: dict[str, str]) -> float:
    """The run's start to end as Airflow recorded them, in seconds."""
    return (datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])).total_seconds()


def hosts_of(api: AirflowApi, run_id: str) -> set[str]:
    """The workers the run's tasks ran on (each task instance's hostname)."""
    items = api.paged(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", "task_instances")
    return {ti.get("hostname") or "?" for ti in items}


def one_run(api: AirflowApi, sleep: float = 1.0) -> tuple[float, set[str]]:
    """A run triggered now and waited for: its duration and the hosts its tasks ran on."""
    run_id = api.send("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None})["dag_run_id"]
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        if run["state"] == "success":
            return duration(run), hosts_of(api, run_id)
        if run["state"] == "failed" or time.monotonic() > deadline:
            raise CommandError(f"bench workers: run {run_id} ended {run['state']}: see its task logs in the UI")
        time.sleep(sleep)


def set_worker(engine: Engine, host: str, running: bool) -> None:
    """The Celery worker on `host` stopped (warm shutdown, as systemd stops it) or started and ready for tasks."""
    active = subprocess.run(engine.cmd("exec", host, "systemctl", "is-active", "--quiet", WORKER_UNIT)).returncode == 0
    if active == running:
        return
    since = time.strftime("%Y-%m-%d %H:%M:%S")
    subprocess.run(engine.cmd("exec", host, "systemctl", "start" if running else "stop", WORKER_UNIT), check=True)
    if not running:
        return
    # Celery logs "celery@HOST ready." once it consumes from the queue; a run before that would use one worker.
    deadline = time.monotonic() + 180
    journal = engine.cmd("exec", host, "journalctl", "-u", WORKER_UNIT, "--since", since, "--no-pager", "-o", "cat")
    while " ready." not in subprocess.run(journal, capture_output=True, text=True).stdout:
        if time.monotonic() > deadline:
            raise CommandError(f"bench workers: the worker on {host} did not report ready within 180 s")
        time.sleep(1)


def bench_workers(
    engine: Engine, hosts: list[str], root: Path, inventory: Path, api: AirflowApi, runs: int = 3
) -> tuple[dict[str, list[float]], int]:
    """`runs` runs on the first of `hosts` alone (the second's worker stopped) and on both, alternating; the figures
    and the task slots per worker."""
    first, second = hosts
    slots = worker_slots(root, inventory, first)
    if worker_slots(root, inventory, second) != slots:
        raise ConfigError(f"bench workers: {first} and {second} need the same airflow_celery_concurrency")
    work = plan(slots, rounds_per_second())
    say(f"==> {work.tasks} tasks of about {work.task_seconds:.0f} s of CPU each, {slots} slot(s) per worker")
    figures: dict[str, list[float]] = {"one": [], "two": []}
    with tempfile.TemporaryDirectory(prefix="mlops-bench-workers-") as tmp:
        source = Path(tmp) / "dags"
        shutil.copytree(root / "dags", source, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        dag = DAG_TEMPLATE.format(dag_id=DAG_ID, tasks=work.tasks, rounds=work.rounds, block_size=BLOCK_SIZE)
        (source / f"{DAG_ID}.py").write_text(dag)
        say("==> the benchmark's DAG deployed to the scheduler host and every worker")
        bench_playbook(root, inventory, "playbooks/dags.yml", dags_extra_vars(source=source))
    try:
        api.send("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        for run in range(1, runs + 1):
            for mode, running in (("one", False), ("two", True)):
                set_worker(engine, second, running)
                seconds, used = one_run(api)
                expected = {first} if mode == "one" else {first, second}
                if used != expected:
                    raise CommandError(
                        f"bench workers: the {mode}-worker run ran on {sorted(used)}, not {sorted(expected)}"
                    )
                figures[mode].append(seconds)
                label = "one worker" if mode == "one" else "two workers"
                say(f"    {label}, run {run}/{runs}: {seconds:.1f} s on {', '.join(sorted(used))}")
    finally:
        set_worker(engine, second, True)
        say("==> the repository's dags/ deployed back")
        bench_playbook(root, inventory, "playbooks/dags.yml", dags_extra_vars(source=root / "dags"))
    return figures, slots


def workers_report(figures: dict[str, list[float]], slots: int, cores: int | None = None) -> list[str]:
    cores = cores or os.cpu_count() or 1
    speedup = statistics.median(figures["one"]) / statistics.median(figures["two"])
    return [
        f"Celery workers on the local hosts (the same tasks, {slots} slot(s) per worker; DAG run start -> end):",
        row("one worker (the second stopped)", figures["one"], 34),
        row("two workers", figures["two"], 34),
        f"  two / one worker: {speedup:.2f}x faster (goal >= 1.8x where the machine has the cores). Both workers,"
        f" the scheduler and the API server share this machine's {cores} core(s): two workers need"
        f" {2 * slots} free for {2 * slots} slots.",
    ]
