"""`mlopsctl bench dags`: DAG delivery latency on the local hosts, next to Airflow's own pick-up of a file dropped
into its DAGs folder."""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from mlopsctl.airflow_api import AirflowApi, ApiError
from mlopsctl.dags import dags_extra_vars
from mlopsctl.errors import CommandError
from mlopsctl.lab.bench import bench_playbook, ratio, row
from mlopsctl.lab.engine import Engine
from mlopsctl.progress import say

# Airflow's refresh interval of the DAGs folder bundle (its default, which the platform keeps), and how long to wait.
PICKUP_INTERVAL = 300
PICKUP_TIMEOUT = 420

DAG_TEMPLATE = """
from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["bench"],
     default_args={{"owner": "bench", "retries": 1}})
def bench():
    @task
    def noop() -> None:
        return None

    noop()


bench()
"""


def deploy(root: Path, inventory: Path, source: Path) -> float:
    """Seconds of one `mlopsctl dags deploy --source SOURCE`, as the command runs it."""
    return bench_playbook(root, inventory, "playbooks/dags.yml", dags_extra_vars(source=source)).seconds


def drop(engine: Engine, airflow_host: str, dag_id: str) -> None:
    """A DAG file written straight into the live DAGs folder (renamed into place, as an editor or rsync would)."""
    target = f"/var/lib/airflow/dags/{dag_id}.py"
    write = f"cat > {target}.tmp && chown airflow:airflow {target}.tmp && mv {target}.tmp {target}"
    subprocess.run(
        engine.cmd("exec", "-i", airflow_host, "sh", "-c", write),
        input=DAG_TEMPLATE.format(dag_id=dag_id),
        text=True,
        check=True,
    )


def by_hand(engine: Engine, airflow_host: str, api: AirflowApi, dag_id: str) -> float:
    """The floor of a deploy: the file copied into the live DAGs folder and `airflow dags reserialize` run on the
    host, as an operator would by hand (no import check, no release, no rollback); seconds until the API lists it."""
    start = time.monotonic()
    try:
        drop(engine, airflow_host, dag_id)
        reserialize = engine.cmd("exec", airflow_host, "airflow", "dags", "reserialize")
        subprocess.run(reserialize, check=True, capture_output=True)
        while dag_id not in api.dag_ids():
            if time.monotonic() - start > PICKUP_TIMEOUT:
                raise CommandError(f"{dag_id} was copied and reserialized but the API still does not list it")
            time.sleep(0.2)
        return time.monotonic() - start
    finally:
        target = f"/var/lib/airflow/dags/{dag_id}.py"
        subprocess.run(engine.cmd("exec", airflow_host, "rm", "-f", target), check=True)


def pickups(
    engine: Engine, airflow_host: str, api: AirflowApi, dag_ids: list[str], offsets: list[float]
) -> dict[str, float]:
    """Each file dropped at its own moment (seconds from now); seconds from each drop until the API lists it.
    All drops share one wait, so N drops at random moments of the refresh cycle cost one cycle, not N."""
    start = time.monotonic()
    dropped: dict[str, float] = {}
    seen: dict[str, float] = {}
    pending = sorted(zip(offsets, dag_ids, strict=True))
    try:
        while len(seen) < len(dag_ids) and time.monotonic() - start < max(offsets) + PICKUP_TIMEOUT:
            while pending and time.monotonic() - start >= pending[0][0]:
                _, dag_id = pending.pop(0)
                drop(engine, airflow_host, dag_id)
                dropped[dag_id] = time.monotonic()
                say(f"    {dag_id} dropped at +{dropped[dag_id] - start:.0f}s")
            try:
                listed = api.dag_ids()
            except ApiError:
                listed = set()  # the API server restarting or slow: not listed yet
            for dag_id in set(dropped) - set(seen):
                if dag_id in listed:
                    seen[dag_id] = time.monotonic() - dropped[dag_id]
                    say(f"    {dag_id} listed after {seen[dag_id]:.1f}s")
            time.sleep(0.5)
    finally:
        for dag_id in dropped:
            target = f"/var/lib/airflow/dags/{dag_id}.py"
            subprocess.run(engine.cmd("exec", airflow_host, "rm", "-f", target), check=True)
    return {dag_id: seen.get(dag_id, float(PICKUP_TIMEOUT)) for dag_id in dag_ids}


def bench_dag_delivery(
    engine: Engine,
    root: Path,
    inventory: Path,
    api: AirflowApi,
    airflow_host: str,
    runs: int = 3,
    drops: int = 5,
) -> dict[str, list[float]]:
    """New releases and no-change deploys (start -> every DAG visible), and Airflow's own pick-up of dropped files
    at random moments of its refresh cycle."""
    stamp = time.strftime("%Y%m%d%H%M%S")
    figures: dict[str, list[float]] = {"deploy": [], "rerun": [], "by_hand": [], "pickup": []}
    with tempfile.TemporaryDirectory(prefix="mlops-bench-dags-") as tmp:
        source = Path(tmp) / "dags"
        shutil.copytree(root / "dags", source, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        for run in range(1, runs + 1):
            dag_id = f"bench_deploy_{stamp}_{run}"
            (source / f"{dag_id}.py").write_text(DAG_TEMPLATE.format(dag_id=dag_id))
            say(f"==> dags deploy of a new release with {dag_id} ({run}/{runs})")
            figures["deploy"].append(deploy(root, inventory, source))
            if dag_id not in api.dag_ids():
                raise CommandError(f"the deploy finished but the API does not list {dag_id}")
            say(f"==> the same deploy again, nothing to change ({run}/{runs})")
            figures["rerun"].append(deploy(root, inventory, source))
            say(f"==> the floor: a DAG file copied in and `airflow dags reserialize` by hand ({run}/{runs})")
            figures["by_hand"].append(by_hand(engine, airflow_host, api, f"bench_by_hand_{stamp}_{run}"))
            say(f"    {figures['by_hand'][-1]:.1f}s")
    # Random moments of the processor's refresh cycle: a drop right after a deploy would always land at its start.
    offsets = [random.uniform(0, PICKUP_INTERVAL) for _ in range(drops)]
    say(f"==> {drops} DAG files dropped into the live folder at random moments of one {PICKUP_INTERVAL}s cycle")
    ids = [f"bench_pickup_{stamp}_{n}" for n in range(1, drops + 1)]
    figures["pickup"] = list(pickups(engine, airflow_host, api, ids, offsets).values())
    say("==> the repository's dags/ deployed back")
    deploy(root, inventory, root / "dags")
    return figures


def dags_report(figures: dict[str, list[float]]) -> list[str]:
    return [
        "DAG delivery on the local airflow host (command start -> every DAG listed by the API, no import errors):",
        row("mlopsctl dags deploy, new release", figures["deploy"], 42),
        row("the same deploy again, nothing changed", figures["rerun"], 42),
        row("floor: copy in, dags reserialize by hand", figures["by_hand"], 42),
        f"  new release / floor: {ratio(figures['deploy'], figures['by_hand']):.2f}x (goal <= 1.5x; the floor has no"
        " import check, release or rollback)",
        row("Airflow's own pick-up of a dropped file", figures["pickup"], 42),
    ]
