"""`mlopsctl bench workers`' pieces that need no worker hosts: the work plan, the DAG it deploys, the worker hosts and
slots it reads, a run followed through a fake API, and the report. The benchmark itself runs on a local lab with
two workers (docs/devops/workers.md)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.lab import bench_workers as bw
from mlopsctl.lab.config import HostSpec, LocalConfig


def test_the_plan_gives_one_worker_four_waves_of_its_slots_and_the_floor_of_seconds() -> None:
    work = bw.plan(slots=2, speed=100_000.0)
    assert work.tasks == 8
    assert work.task_seconds * work.tasks / 2 == bw.ONE_WORKER_SECONDS
    assert work.rounds == 800_000
    with pytest.raises(ConfigError, match="task slots must be 1 or more"):
        bw.plan(slots=0, speed=1.0)
    assert bw.rounds_per_second(0.05) > 0


def test_the_dag_is_python_with_one_mapped_task_of_the_planned_work() -> None:
    text = bw.DAG_TEMPLATE.format(dag_id=bw.DAG_ID, tasks=8, rounds=1234, block_size=bw.BLOCK_SIZE)
    tree = ast.parse(text)
    loops = [n for n in ast.walk(tree) if isinstance(n, ast.For)]
    assert [ast.unparse(loop.iter) for loop in loops] == ["range(1234)"]
    assert "burn.expand(index=list(range(8)))" in text and "max_active_tasks=8" in text


def hosts(*groups: tuple[str, ...]) -> LocalConfig:
    return LocalConfig(hosts=tuple(HostSpec(f"h{i}", g, f"10.0.0.{i}", ()) for i, g in enumerate(groups)))


def test_two_worker_hosts_are_needed_and_taken_in_the_settings_order() -> None:
    assert bw.workers(hosts(("airflow",), ("airflow_workers",), ("airflow_workers",), ("airflow_workers",))) == [
        "h1",
        "h2",
    ]
    with pytest.raises(ConfigError, match=r"needs two hosts in airflow_workers \(mlopsctl.toml has 1\)"):
        bw.workers(hosts(("airflow",), ("airflow_workers",)))


def test_a_workers_slots_come_from_the_inventory_or_the_roles_default(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    workers = {"wrk01": {"airflow_celery_concurrency": 2}, "wrk02": {}, "wrk03": {"airflow_celery_autoscale": "4,1"}}
    inventory.write_text(yaml.safe_dump({"all": {"children": {"airflow_workers": {"hosts": workers}}}}))
    default = yaml.safe_load((ROOT / bw.AIRFLOW_DEFAULTS).read_text())["airflow_celery_concurrency"]
    assert bw.worker_slots(ROOT, inventory, "wrk01") == 2
    assert bw.worker_slots(ROOT, inventory, "wrk02") == default
    with pytest.raises(ConfigError, match="wrk03 autoscales"):
        bw.worker_slots(ROOT, inventory, "wrk03")
    with pytest.raises(CommandError, match="ansible-inventory cannot read"):
        bw.worker_slots(ROOT, tmp_path / "missing.yml", "wrk01")


class FakeApi:
    """Airflow's API for one triggered run: queued, running, then the given end state."""

    def __init__(self, end: str) -> None:
        self.states = ["queued", "running", end]
        self.sent: list[tuple[str, str, Any]] = []

    def send(self, method: str, path: str, body: Any = None) -> Any:
        self.sent.append((method, path, body))
        return {"dag_run_id": "manual__1"}

    def get(self, path: str, **query: Any) -> Any:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"state": state, "start_date": "2026-12-04T10:00:00Z", "end_date": "2026-12-04T10:00:41.5+00:00"}

    def paged(self, path: str, key: str) -> list[dict[str, Any]]:
        assert path == f"/api/v2/dags/{bw.DAG_ID}/dagRuns/manual__1/taskInstances" and key == "task_instances"
        return [{"hostname": "wrk01"}, {"hostname": "wrk02"}, {"hostname": "wrk01"}]


def test_a_run_is_triggered_followed_to_its_end_and_timed_as_airflow_recorded_it() -> None:
    api = FakeApi("success")
    assert bw.one_run(api, sleep=0) == (41.5, {"wrk01", "wrk02"})  # type: ignore[arg-type]
    assert api.sent == [("POST", f"/api/v2/dags/{bw.DAG_ID}/dagRuns", {"logical_date": None})]
    with pytest.raises(CommandError, match="run manual__1 ended failed"):
        bw.one_run(FakeApi("failed"), sleep=0)  # type: ignore[arg-type]


def test_the_report_gives_the_medians_their_ratio_and_what_limits_it() -> None:
    lines = bw.workers_report({"one": [40.0, 42.0, 41.0], "two": [22.0, 20.0, 21.0]}, slots=1, cores=2)
    assert "median   41.0 s" in lines[1] and "median   21.0 s" in lines[2]
    assert "1.95x faster" in lines[3] and "2 core(s): two workers need 2 free for 2 slots" in lines[3]
