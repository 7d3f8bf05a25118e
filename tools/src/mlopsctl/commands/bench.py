"""`mlopsctl bench [site] [dags]` on the local lab, `mlopsctl bench workers` on a local lab with two Celery workers,
or `mlopsctl bench gpu` on a db host or a DSN."""

from __future__ import annotations

import argparse
import json
import math

from mlopsctl.checkout import local_inventory
from mlopsctl.errors import ConfigError
from mlopsctl.lab.access import local_api
from mlopsctl.lab.bench import bench_json
from mlopsctl.lab.bench_dags import bench_dag_delivery, dags_report
from mlopsctl.lab.bench_gpu import bench_gpu
from mlopsctl.lab.bench_site import bench_site, site_report
from mlopsctl.lab.bench_workers import bench_workers, workers, workers_report
from mlopsctl.lab.config import load_config
from mlopsctl.lab.engine import detect_engine
from mlopsctl.progress import say

TARGETS = ("site", "dags")


def run(args: argparse.Namespace) -> int:
    if "gpu" in args.targets:
        # pg_strom on and off on a db host with a GPU (--inventory) or any server with pg_strom (--dsn).
        if args.targets != ["gpu"]:
            raise ConfigError("bench: gpu runs on its own (on --inventory's db host or --dsn), not with other targets")
        # Checked before the first statement reaches the server (the run starts by dropping its own database).
        if not (math.isfinite(args.scale) and 0 < args.scale <= 1000):
            raise ConfigError(
                f"bench gpu: --scale {args.scale} must be a number above 0 and at most 1000 (1 = 6 M rows)"
            )
        if args.runs < 1 or (args.workers is not None and args.workers < 0):
            raise ConfigError("bench gpu: --runs must be 1 or more and --workers 0 or more")
        print(bench_gpu(args.inventory, args.dsn, args.scale, args.seed, args.runs, args.workers))
        return 0
    if "workers" in args.targets:
        # One worker against two on the local lab's airflow_workers: a lab of its own (mlopsctl.toml with workers).
        if args.targets != ["workers"]:
            raise ConfigError("bench: workers runs on its own (the local lab's two Celery workers), not with others")
        if args.runs < 3:
            raise ConfigError("bench workers: medians need --runs 3 or more")
        cfg = load_config(args.config, engine=args.engine)
        hosts = workers(cfg)
        inventory = local_inventory(args.root)
        _, api = local_api(args.root, cfg, inventory)
        figures, slots = bench_workers(detect_engine(cfg.engine), hosts, args.root, inventory, api, args.runs)
        say("\n".join(workers_report(figures, slots)))
        return 0
    targets = args.targets or list(TARGETS)
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        raise ConfigError(f"bench: unknown target(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    if args.runs < 3 or args.drops < 5:
        raise ConfigError("bench: medians need --runs 3 or more and --drops 5 or more")
    cfg = load_config(args.config, engine=args.engine)
    engine = detect_engine(cfg.engine)
    inventory = local_inventory(args.root)
    # Checked first: a missing platform is reported before minutes of site runs.
    host, api = local_api(args.root, cfg, inventory) if "dags" in targets else ("", None)
    lines: list[str] = []
    site = dags = None
    if "site" in targets:
        site = bench_site(engine, cfg, args.root, args.runs)
        lines += site_report(site)
    if api is not None:
        dags = bench_dag_delivery(engine, args.root, inventory, api, host, args.runs, args.drops)
        lines += dags_report(dags)
    say("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(bench_json(site, dags), indent=2) + "\n")
        say(f"figures written: {args.json}")
    return 0
