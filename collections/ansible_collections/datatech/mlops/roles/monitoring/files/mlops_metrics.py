# Managed by the datatech.mlops.monitoring role: changes here are overwritten.
"""Textfile-collector metrics for node_exporter, run by mlops-metrics@COLLECTOR.service (its timer) as root.

    mlops_metrics.py backup|airflow|pg_strom|gpu --config /etc/mlops-metrics/COLLECTOR.json

Each run writes DIR/mlops_COLLECTOR.prom atomically. A run that cannot read its source still writes the file, with
mlops_textfile_success 0 and nothing else, and exits 1 (the journal has why); no secret is ever printed. The logic
is in textfile_metrics.py and gpu.py beside this file (the collection's module_utils, unit-tested there).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpu as gpu_check
import textfile_metrics as tm

TIMEOUT = 30


def backup(config: dict[str, Any], now: float) -> list[tm.Metric]:
    """pgbackrest info of the stanza, run as the repository's owner (never root: its lock and log files stay his)."""
    account = pwd.getpwnam(config["user"])
    done = subprocess.run(
        ["pgbackrest", f"--stanza={config['stanza']}", "--output=json", "info"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd="/",
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin", "HOME": account.pw_dir, "LANG": "C.UTF-8"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbackrest info exited {done.returncode}: {done.stderr.strip()[-300:]}")
    out = tm.backup_metrics(json.loads(done.stdout))
    # The restore drill's last result, once the pgbackrest role's drill has run on this host.
    if config.get("drill_result") and os.path.exists(config["drill_result"]):
        with open(config["drill_result"], encoding="utf-8") as source:
            out += tm.restore_drill_metrics(json.load(source))
    return out


def _request(url: str, context: ssl.SSLContext | None, data: Any = None, token: str = "") -> Any:
    headers = {"Accept": "application/json"}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as answer:
        return json.load(answer)


def airflow(config: dict[str, Any], now: float) -> list[tm.Metric]:
    """The health endpoint (no login), then the failed runs of the window as the monitoring account."""
    base = config["url"].rstrip("/")
    context = ssl.create_default_context(cafile=config["ca_file"]) if config.get("ca_file") else None
    out = tm.airflow_health_metrics(_request(f"{base}/api/v2/monitor/health", context))
    try:
        token = _request(f"{base}/auth/token", context, {"username": config["user"], "password": config["password"]})[
            "access_token"
        ]
    except urllib.error.HTTPError as exc:
        # The server's answer may echo what was sent: only its status is worth the journal.
        raise RuntimeError(f"Airflow refused the monitoring account's login (HTTP {exc.code})") from None
    runs: list[dict[str, Any]] = []
    window = float(config["window"])
    while True:
        query = tm.failed_runs_query(now, window, offset=len(runs), limit=100)
        page = _request(f"{base}/api/v2/dags/~/dagRuns?{query}", context, token=token)
        runs += page.get("dag_runs") or []
        if not page.get("dag_runs") or len(runs) >= int(page.get("total_entries", 0)):
            break
    return out + tm.failed_runs_metrics(runs, window)


def pg_strom(config: dict[str, Any], now: float) -> list[tm.Metric]:
    """Every cluster's pg_strom withdrawal record (the postgresql role writes it beside postgresql.conf)."""
    root = config.get("root", "/etc/postgresql")
    return tm.pg_strom_metrics(
        {
            cluster: tm.read_record(os.path.join(root, cluster, "pg_strom_withdrawn.json"))
            for cluster in tm.clusters(root)
        }
    )


def gpu(config: dict[str, Any], now: float) -> list[tm.Metric]:
    """The same check as the pg_strom role's (PCI bus, driver, nvidia-smi), against the GPUs the host must show."""
    facts = gpu_check.gather(
        config.get("sysfs_root", "/sys"),
        config.get("procfs_root", "/proc"),
        config.get("nvidia_smi", "nvidia-smi"),
        "",
        gpu_check.run_subprocess,
    )
    return tm.gpu_metrics(facts, int(config["expected"]))


COLLECTORS = {"backup": backup, "airflow": airflow, "pg_strom": pg_strom, "gpu": gpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collector", choices=sorted(COLLECTORS))
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    now = time.time()
    try:
        metrics = COLLECTORS[args.collector](config, now)
        ok = True
    except Exception as exc:
        print(f"{args.collector}: {type(exc).__name__}: {exc}", file=sys.stderr)
        metrics, ok = [], False
    path = os.path.join(config["dir"], f"mlops_{args.collector}.prom")
    tm.write_atomically(path, tm.render(metrics + tm.run_metrics(args.collector, ok, now)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
