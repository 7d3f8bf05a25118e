"""DAG delivery latency on the local hosts, next to Airflow's own pick-up of a file dropped into its DAGs folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mlopsctl.bench import run_playbook, timed
from mlopsctl.engine import Engine
from mlopsctl.progress import CommandError, say

# How long to wait for Airflow to notice a dropped file by itself (its bundle refresh interval is 300 s by default).
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


@dataclass(frozen=True)
class Api:
    """The Airflow API as this machine reaches it (the published port of the airflow host)."""

    url: str
    user: str
    password: str

    def dag_ids(self) -> set[str]:
        """DAGs Airflow lists as active and free of import errors."""
        login = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": self.user, "password": self.password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.load(urllib.request.urlopen(login, timeout=10))["access_token"]
        listing = urllib.request.Request(
            f"{self.url}/api/v2/dags?limit=1000", headers={"Authorization": f"Bearer {token}"}
        )
        dags = json.load(urllib.request.urlopen(listing, timeout=10))["dags"]
        return {d["dag_id"] for d in dags if not d["is_stale"] and not d["has_import_errors"]}


def wait_visible(api: Api, dag_id: str, timeout: float) -> float | None:
    """Seconds until dag_id is listed, polling every half second; None after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if dag_id in api.dag_ids():
                return time.monotonic() - start
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return None


def deploy(playbook_cmd: list[str], root: Path, inventory: Path, source: Path, what: str) -> float:
    extra = ("-e", json.dumps({"dags_source_dir": str(source)}))
    return timed(what, run_playbook(playbook_cmd, root, inventory, "playbooks/dags.yml", extra))


def bench_dag_delivery(
    engine: Engine, root: Path, inventory: Path, playbook_cmd: list[str], api: Api, airflow_host: str
) -> dict[str, float | None]:
    """Deploy of a new release (start -> every DAG visible), a no-change deploy, and Airflow's own pick-up."""
    stamp = time.strftime("%Y%m%d%H%M%S")
    figures: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory(prefix="mlops-bench-dags-") as tmp:
        source = Path(tmp) / "dags"
        shutil.copytree(root / "dags", source, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        dag_id = f"bench_deploy_{stamp}"
        (source / f"{dag_id}.py").write_text(DAG_TEMPLATE.format(dag_id=dag_id))
        figures["deploy"] = deploy(playbook_cmd, root, inventory, source, f"dags deploy of a new release with {dag_id}")
        if dag_id not in api.dag_ids():
            raise CommandError(f"the deploy finished but the API does not list {dag_id}")
        figures["rerun"] = deploy(playbook_cmd, root, inventory, source, "the same deploy again (nothing to change)")

    pickup_id = f"bench_pickup_{stamp}"
    say(f"==> {pickup_id}.py dropped into the live DAGs folder; waiting up to {PICKUP_TIMEOUT}s for Airflow to list it")
    target = f"/var/lib/airflow/dags/{pickup_id}.py"
    write = f"cat > {target} && chown airflow:airflow {target}"
    subprocess.run(
        engine.cmd("exec", "-i", airflow_host, "sh", "-c", write),
        input=DAG_TEMPLATE.format(dag_id=pickup_id),
        text=True,
        check=True,
    )
    try:
        figures["pickup"] = wait_visible(api, pickup_id, PICKUP_TIMEOUT)
    finally:
        subprocess.run(engine.cmd("exec", airflow_host, "rm", "-f", target), check=True)
    say(f"    {figures['pickup']:.1f}s" if figures["pickup"] is not None else f"    not listed after {PICKUP_TIMEOUT}s")
    deploy(playbook_cmd, root, inventory, root / "dags", "the repository's dags/ deployed back")
    return figures


def dags_report(figures: dict[str, float | None]) -> str:
    pickup = figures["pickup"]
    pickup_text = f"{pickup:6.1f} s" if pickup is not None else f"> {PICKUP_TIMEOUT} s"
    ratio = f"  ({pickup / figures['deploy']:.1f}x the deploy)" if pickup and figures["deploy"] else ""
    return "\n".join(
        [
            "DAG delivery on the local airflow host (command start -> every DAG listed by the API, no import errors):",
            f"  mlopsctl dags deploy, new release:        {figures['deploy']:6.1f} s",
            f"  the same deploy again, nothing changed:   {figures['rerun']:6.1f} s",
            f"  Airflow's own pick-up of a dropped file:  {pickup_text}{ratio}",
        ]
    )
