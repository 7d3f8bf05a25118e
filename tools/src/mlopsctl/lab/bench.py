"""What the benchmarks share: their playbook runs (quiet, logged, timed, changed tasks from Ansible's stats), the
medians they print, and the figures `mlopsctl bench --json` writes."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from mlopsctl.checkout import LOGS
from mlopsctl.playbook import PlaybookResult, run_playbook
from mlopsctl.progress import say


def bench_playbook(root: Path, inventory: Path, playbook: str, extra: Sequence[str] = ()) -> PlaybookResult:
    """One timed run; its output goes to a log (the tail is shown on failure, which stops the benchmark)."""
    log = root / LOGS / f"bench-{Path(playbook).stem}.log"
    result = run_playbook(root, playbook, inventory, extra, log=log)
    say(f"    {result.seconds:.1f}s, changed={result.changed}")
    return result


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def row(title: str, values: list[float], width: int) -> str:
    """One line of a report: the median of a figure with its min, max and number of runs."""
    s = summary(values)
    return f"  {title:<{width}} median {s['median']:6.1f} s  (min {s['min']:.1f}, max {s['max']:.1f}, {s['runs']} runs)"


def ratio(values: list[float], floor: list[float]) -> float:
    """Median of a figure over the median of its floor, measured in the same run."""
    return statistics.median(values) / statistics.median(floor)


def bench_json(site: dict[str, list[float]] | None, dags: dict[str, list[float]] | None) -> dict[str, float]:
    """The figures as `mlopsctl bench --json` writes them: medians in seconds."""
    out: dict[str, float] = {}
    if site:
        for key, name in (("cold", "site_cold_s"), ("floor", "site_floor_s"), ("noop", "site_noop_s")):
            out[name] = round(statistics.median(site[key]), 1)
        out["site_noop_changed"] = max(site["noop_changed"])
    if dags:
        for key, name in (
            ("deploy", "dags_deploy_new_s"),
            ("rerun", "dags_deploy_noop_s"),
            ("by_hand", "dags_by_hand_floor_s"),
            ("pickup", "dags_airflow_pickup_s"),
        ):
            out[name] = round(statistics.median(dags[key]), 1)
    return out
