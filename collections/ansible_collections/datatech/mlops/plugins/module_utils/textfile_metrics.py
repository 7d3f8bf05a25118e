"""Facts the exporters cannot see, turned into node_exporter textfile-collector metrics.

Plain standard library on purpose: the monitoring role copies this file beside files/mlops_metrics.py on the host,
where a systemd timer runs it with the host's python3 (no Ansible there). The functions here only turn what
pgBackRest, Airflow's API, the postgresql role's pg_strom withdrawal record and the GPU check say into metrics and
write them; the script beside them does the reading (a command, HTTP).
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

# Every metric this file writes starts with this prefix; the alert rules in platform.rules.yml.j2 read them.
PREFIX = "mlops_"
# Longest label value written from free text (a withdrawal's reason): a metric is no place for a log.
MAX_LABEL = 200
# Airflow components whose heartbeat /api/v2/monitor/health reports, and the key of each one's heartbeat.
AIRFLOW_HEARTBEATS = {
    "scheduler": "latest_scheduler_heartbeat",
    "triggerer": "latest_triggerer_heartbeat",
    "dag_processor": "latest_dag_processor_heartbeat",
}


class Metric(NamedTuple):
    """One sample: name (without PREFIX), labels, value, and the HELP line of its name."""

    name: str
    labels: Mapping[str, str]
    value: float
    help: str


def escape(value: str) -> str:
    """A label value as the text exposition format wants it (backslash, double quote and newline escaped)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    """A sample value: integers without a fraction, the rest as repr gives them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(metrics: Iterable[Metric]) -> str:
    """The metrics in Prometheus's text exposition format, each name's HELP and TYPE (gauge) once, names sorted."""
    by_name: dict[str, list[Metric]] = {}
    for metric in metrics:
        by_name.setdefault(metric.name, []).append(metric)
    lines = []
    for name in sorted(by_name):
        full = PREFIX + name
        lines += [f"# HELP {full} {by_name[name][0].help}", f"# TYPE {full} gauge"]
        for metric in by_name[name]:
            labels = ",".join(f'{key}="{escape(str(val))}"' for key, val in sorted(metric.labels.items()))
            lines.append(f"{full}{{{labels}}} {number(metric.value)}" if labels else f"{full} {number(metric.value)}")
    return "\n".join(lines) + "\n" if lines else ""


def write_atomically(path: str, text: str) -> None:
    """Writes the file so that node_exporter reads the old one or the new one, never half of one: a temporary file
    in the same directory (not matching *.prom), flushed, readable by all, then renamed over the old one."""
    folder = os.path.dirname(path) or "."
    handle, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_metrics(collector: str, ok: bool, now: float) -> list[Metric]:
    """Whether this collector's last run read its source, and when it ran (its alert: MetricsCollectorFailing)."""
    return [
        Metric(
            "textfile_success",
            {"collector": collector},
            1 if ok else 0,
            "Whether the collector's last run read its source (1) or failed (0).",
        ),
        Metric(
            "textfile_run_timestamp_seconds",
            {"collector": collector},
            now,
            "When the collector last ran, in seconds since the epoch.",
        ),
    ]


def parse_time(value: Any) -> float:
    """Seconds since the epoch of an ISO 8601 time as Airflow's API writes it (with Z or an offset); 0 when none."""
    if not value:
        return 0.0
    text = str(value).strip().replace("Z", "+00:00")
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def backup_metrics(info: Any) -> list[Metric]:
    """What `pgbackrest info --output=json` says of each stanza: its status code, when its newest full backup (and
    newest backup of each type) finished; 0 for a stanza without a full backup, so that its age alert fires too.
    Backups pgBackRest marks as in error do not count."""
    if not isinstance(info, list):
        raise ValueError("pgbackrest info did not give a list of stanzas")
    out = []
    for stanza in info:
        name = str(stanza.get("name", ""))
        if not name:
            raise ValueError("pgbackrest info gave a stanza without a name")
        labels = {"stanza": name}
        status = stanza.get("status") or {}
        out.append(
            Metric(
                "backup_status_code",
                labels,
                int(status.get("code", -1)),
                "pgBackRest's status code of the stanza (0 ok, 2 no valid backups, others see its docs).",
            )
        )
        newest: dict[str, float] = {}
        for backup in stanza.get("backup") or []:
            if backup.get("error"):
                continue
            kind = str(backup.get("type", ""))
            stop = float((backup.get("timestamp") or {}).get("stop") or 0)
            newest[kind] = max(newest.get(kind, 0.0), stop)
        out.append(
            Metric(
                "backup_last_full_timestamp_seconds",
                labels,
                newest.get("full", 0.0),
                "When the stanza's newest full backup finished (0: none), in seconds since the epoch.",
            )
        )
        for kind in sorted(newest):
            out.append(
                Metric(
                    "backup_last_timestamp_seconds",
                    {"stanza": name, "type": kind},
                    newest[kind],
                    "When the stanza's newest backup of this type finished, in seconds since the epoch.",
                )
            )
    return out


def restore_drill_metrics(report: Any) -> list[Metric]:
    """The last restore drill's report (the pgbackrest role's pgbackrest_verify_path/last.json): whether it passed,
    when it ended, how long it took and how many rows the restored copy held."""
    if not isinstance(report, dict) or not isinstance(report.get("ok"), bool):
        raise ValueError("the restore drill's last result is not a drill report")
    labels = {"target": str(report.get("target", ""))[:MAX_LABEL]}
    return [
        Metric("restore_drill_success", labels, int(report["ok"]), "1 when the last restore drill passed, else 0."),
        Metric(
            "restore_drill_timestamp_seconds",
            labels,
            float(report.get("ended") or 0),
            "When the last restore drill ended, in seconds since the epoch.",
        ),
        Metric(
            "restore_drill_duration_seconds",
            labels,
            float(report.get("seconds") or 0),
            "How long the last restore drill took (restore, WAL replay, start and count).",
        ),
        Metric("restore_drill_rows", labels, int(report.get("rows") or 0), "Rows the last drill's restored copy held."),
    ]


def airflow_health_metrics(health: Mapping[str, Any]) -> list[Metric]:
    """Each component /api/v2/monitor/health reports: healthy or not, and its latest heartbeat (0: none yet)."""
    if not isinstance(health, Mapping) or "scheduler" not in health:
        raise ValueError("Airflow's health endpoint did not report a scheduler")
    out = []
    for component, state in sorted(health.items()):
        if not isinstance(state, Mapping):
            continue
        labels = {"component": component}
        out.append(
            Metric(
                "airflow_component_healthy",
                labels,
                1 if state.get("status") == "healthy" else 0,
                "Whether Airflow's health endpoint reports the component healthy.",
            )
        )
        key = AIRFLOW_HEARTBEATS.get(component)
        if key:
            out.append(
                Metric(
                    "airflow_heartbeat_timestamp_seconds",
                    labels,
                    parse_time(state.get(key)),
                    "The component's latest heartbeat (0: none), in seconds since the epoch.",
                )
            )
    return out


def failed_runs_metrics(dag_runs: Iterable[Mapping[str, Any]], window: float) -> list[Metric]:
    """Failed DAG runs that ended in the last `window` seconds, counted per DAG (only DAGs with one appear)."""
    counts: dict[str, int] = {}
    for run in dag_runs:
        if run.get("state") == "failed":
            counts[str(run.get("dag_id"))] = counts.get(str(run.get("dag_id")), 0) + 1
    out = [
        Metric(
            "airflow_failed_window_seconds",
            {},
            window,
            "The window the failed DAG run counts look back on, in seconds.",
        )
    ]
    for dag_id in sorted(counts):
        out.append(
            Metric(
                "airflow_dag_runs_failed",
                {"dag_id": dag_id},
                counts[dag_id],
                "Failed runs of the DAG that ended within the window.",
            )
        )
    return out


def failed_runs_query(now: float, window: float, offset: int, limit: int) -> str:
    """The query string of /api/v2/dags/~/dagRuns for one page of the failed runs that ended in the window."""
    since = datetime.datetime.fromtimestamp(now - window, tz=datetime.UTC)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"state=failed&end_date_gte={stamp}&order_by=-end_date&limit={limit}&offset={offset}"


def clusters(root: str = "/etc/postgresql") -> list[str]:
    """The PostgreSQL clusters of the host as version/name (Debian's /etc/postgresql/VERSION/NAME/postgresql.conf)."""
    found = []
    try:
        versions = sorted(os.listdir(root))
    except OSError:
        return []
    for version in versions:
        try:
            names = sorted(os.listdir(os.path.join(root, version)))
        except OSError:
            continue
        found += [
            f"{version}/{name}"
            for name in names
            if os.path.isfile(os.path.join(root, version, name, "postgresql.conf"))
        ]
    return found


def pg_strom_metrics(records: Mapping[str, Any]) -> list[Metric]:
    """Per cluster: whether a withdrawal of pg_strom is recorded (the postgresql role's pg_strom_withdrawn.json, read
    as JSON, or None where the cluster has none), with its reason as a label and since when."""
    out = []
    for cluster in sorted(records):
        record = records[cluster]
        if record is None:
            out.append(
                Metric(
                    "pg_strom_withdrawn",
                    {"cluster": cluster},
                    0,
                    "Whether pg_strom is withdrawn on the cluster (1: PostgreSQL runs on the CPU).",
                )
            )
            continue
        if not isinstance(record, Mapping):
            record = {"reason": "the withdrawal record is not a JSON object"}
        reason = str(record.get("reason") or "not given")[:MAX_LABEL]
        out.append(
            Metric(
                "pg_strom_withdrawn",
                {"cluster": cluster, "reason": reason},
                1,
                "Whether pg_strom is withdrawn on the cluster (1: PostgreSQL runs on the CPU).",
            )
        )
        try:
            since = parse_time(record.get("since"))
        except ValueError:
            since = 0.0
        out.append(
            Metric(
                "pg_strom_withdrawn_since_timestamp_seconds",
                {"cluster": cluster},
                since,
                "When the withdrawal was recorded, in seconds since the epoch.",
            )
        )
    return out


def gpu_metrics(facts: Mapping[str, Any], expected: int) -> list[Metric]:
    """What module_utils/gpu.py's gather() finds now against the GPUs the host must show (`expected`: as many as were on
    its PCI bus when the monitoring role ran, at least one on a host the cloud gave a GPU flavor)."""
    visible = facts.get("devices") if isinstance(facts.get("devices"), list) else []
    reason = str(facts.get("reason") or "not given")[:MAX_LABEL]
    return [
        Metric(
            "gpu_expected_devices", {}, int(expected), "NVIDIA GPUs this host must show (the monitoring role's count)."
        ),
        Metric("gpu_pci_devices", {}, int(facts.get("count") or 0), "NVIDIA GPUs on the PCI bus now."),
        Metric(
            "gpu_driver_loaded",
            {},
            1 if facts.get("driver_loaded") else 0,
            "Whether the NVIDIA kernel driver is loaded.",
        ),
        Metric(
            "gpu_visible_devices", {}, len(visible), "NVIDIA GPUs nvidia-smi lists now (what CUDA and pg_strom see)."
        ),
        Metric(
            "gpu_info",
            {"reason": reason, "driver_version": str(facts.get("driver_version") or "")},
            1,
            "The GPU check's verdict (reason: usable, or why the GPUs cannot be used) and the driver's version.",
        ),
    ]


def read_record(path: str) -> Any:
    """A withdrawal record: its JSON, None where there is none, a dict naming the fault where it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"reason": f"the withdrawal record cannot be read: {exc}"}
