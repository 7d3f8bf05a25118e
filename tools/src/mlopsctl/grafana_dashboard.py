"""The monitoring role's Grafana dashboard (roles/monitoring/files/grafana/mlops-platform.json), built with Grafana's
own typed models (grafana-foundation-sdk), so what `mlopsctl docs` writes follows Grafana's dashboard schema.

Every panel reads what the platform's exporters and collectors write (docs/devops/monitoring.md); the monitoring
scenario runs each query against a real Prometheus."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

RELATIVE_PATH = Path(
    "collections/ansible_collections/datatech/mlops/roles/monitoring/files/grafana/mlops-platform.json"
)
UID = "datatech-mlops-platform"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# The hosts the dashboard shows: the `host` label every target carries (the inventory name).
HOST = 'host=~"$host"'
# Filesystems the disk alert reads, as in platform.rules.yml.j2.
FILESYSTEMS = 'fstype!~"tmpfs|ramfs|squashfs|overlay"'


@dataclass(frozen=True)
class Chart:
    """One panel: a stat (latest value) or a time series, its queries as (PromQL, legend), unit and a red line."""

    title: str
    description: str
    queries: tuple[tuple[str, str], ...]
    unit: str = "short"
    kind: str = "timeseries"
    red_at: float | None = None
    width: int = 8


ROWS: tuple[tuple[str, tuple[Chart, ...]], ...] = (
    (
        "Platform",
        (
            Chart(
                "Targets up",
                "Exporters Prometheus scrapes that answer, of all (TargetDown fires for the others).",
                ((f"sum(up{{{HOST}}})", "up"), (f"count(up{{{HOST}}})", "all")),
                kind="stat",
            ),
            Chart(
                "Alerts firing",
                "The platform's alerts that fire now (docs/devops/monitoring.md says what each means).",
                ((f'count(ALERTS{{alertstate="firing",{HOST}}}) or vector(0)', "firing"),),
                kind="stat",
                red_at=1,
            ),
            Chart(
                "Collectors failing",
                "Textfile collectors whose last run failed (MetricsCollectorFailing).",
                ((f"count(mlops_textfile_success{{{HOST}}} == 0) or vector(0)", "failing"),),
                kind="stat",
                red_at=1,
            ),
        ),
    ),
    (
        "PostgreSQL",
        (
            Chart(
                "PostgreSQL up",
                "1 while the exporter logs in to the cluster (PostgreSQLDown at 0).",
                ((f"pg_up{{{HOST}}}", "{{host}}"),),
                kind="stat",
            ),
            Chart(
                "Connections",
                "Backends per database.",
                ((f"sum by (host, datname) (pg_stat_database_numbackends{{{HOST}}})", "{{host}} {{datname}}"),),
            ),
            Chart(
                "WAL archiving",
                "Segments archived and failed per second (PostgreSQLWALArchivingFailing).",
                (
                    (f"rate(pg_stat_archiver_archived_count{{{HOST}}}[5m])", "{{host}} archived"),
                    (f"rate(pg_stat_archiver_failed_count{{{HOST}}}[5m])", "{{host}} failed"),
                ),
                unit="ops",
            ),
            Chart(
                "pg_strom withdrawn",
                "1 where the postgresql role withdrew pg_strom and PostgreSQL runs on the CPU (PgStromWithdrawn).",
                ((f"mlops_pg_strom_withdrawn{{{HOST}}}", "{{host}} {{cluster}}"),),
                kind="stat",
                red_at=1,
            ),
            Chart(
                "GPUs visible",
                "GPUs nvidia-smi lists against those the host must show (GpuNotVisible).",
                (
                    (f"mlops_gpu_visible_devices{{{HOST}}}", "{{host}} visible"),
                    (f"mlops_gpu_expected_devices{{{HOST}}}", "{{host}} expected"),
                ),
                kind="stat",
            ),
        ),
    ),
    (
        "Backups",
        (
            Chart(
                "Last full backup",
                "Age of the newest full backup per stanza (BackupFullTooOld past its maximum).",
                ((f"time() - mlops_backup_last_full_timestamp_seconds{{{HOST}}}", "{{stanza}}"),),
                unit="s",
                kind="stat",
                red_at=8 * 86400,
            ),
            Chart(
                "Restore drill passed",
                "1 when the last restore drill restored, started and counted a backup (RestoreDrillFailed at 0).",
                ((f"mlops_restore_drill_success{{{HOST}}}", "{{host}}"),),
                kind="stat",
            ),
            Chart(
                "Last restore drill",
                "Age of the last restore drill (RestoreDrillTooOld past its maximum).",
                ((f"time() - mlops_restore_drill_timestamp_seconds{{{HOST}}}", "{{host}}"),),
                unit="s",
                kind="stat",
                red_at=8 * 86400,
            ),
        ),
    ),
    (
        "Airflow",
        (
            Chart(
                "Heartbeat age",
                "Seconds since each component's latest heartbeat (AirflowHeartbeatMissing for the scheduler and DAG"
                " processor).",
                ((f"time() - mlops_airflow_heartbeat_timestamp_seconds{{{HOST}}}", "{{host}} {{component}}"),),
                unit="s",
                red_at=120,
            ),
            Chart(
                "Failed DAG runs",
                "Runs that ended failed within the collector's window, per DAG (AirflowDAGRunFailed).",
                ((f"mlops_airflow_dag_runs_failed{{{HOST}}}", "{{dag_id}}"),),
                red_at=1,
            ),
        ),
    ),
    (
        "Hosts",
        (
            Chart(
                "CPU used",
                "Share of CPU time not idle, per host.",
                ((f'100 * (1 - avg by (host) (rate(node_cpu_seconds_total{{mode="idle",{HOST}}}[5m])))', "{{host}}"),),
                unit="percent",
            ),
            Chart(
                "Memory used",
                "Share of memory not available to new processes, per host.",
                (
                    (
                        f"100 * (1 - node_memory_MemAvailable_bytes{{{HOST}}} / node_memory_MemTotal_bytes{{{HOST}}})",
                        "{{host}}",
                    ),
                ),
                unit="percent",
            ),
            Chart(
                "Disk used",
                "Share of each filesystem used (DiskAlmostFull above 85 %).",
                (
                    (
                        f"100 * (1 - node_filesystem_avail_bytes{{{FILESYSTEMS},{HOST}}}"
                        f" / node_filesystem_size_bytes{{{FILESYSTEMS},{HOST}}})",
                        "{{host}} {{mountpoint}}",
                    ),
                ),
                unit="percent",
                red_at=85,
            ),
        ),
    ),
)


def _thresholds(red_at: float | None) -> dashboard.ThresholdsConfig:
    steps = [Threshold(value=None, color="green")]
    if red_at is not None:
        steps.append(Threshold(value=red_at, color="red"))
    return dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def _panel(chart: Chart) -> stat.Panel | timeseries.Panel:
    panel = stat.Panel() if chart.kind == "stat" else timeseries.Panel()
    panel = (
        panel.title(chart.title)
        .description(chart.description)
        .datasource(DATASOURCE)
        .unit(chart.unit)
        .thresholds(_thresholds(chart.red_at))
        .span(chart.width)
        .height(6 if chart.kind == "stat" else 8)
    )
    for ref, (expr, legend) in zip("ABCDEFGH", chart.queries, strict=False):
        panel = panel.with_target(prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref))
    return panel


def dashboard_document() -> dict:
    """The dashboard as Grafana imports it (and as its file provisioning reads it)."""
    builder = (
        dashboard.Dashboard("datatech.mlops platform")
        .uid(UID)
        .description("PostgreSQL, pg_strom and the GPUs, backups and restore drills, Airflow, and the hosts.")
        .tags(["datatech-mlops"])
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .refresh("1m")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(
            dashboard.QueryVariable("host")
            .label("Host")
            .datasource(DATASOURCE)
            .query("label_values(up, host)")
            .current(VariableOption(selected=True, text="All", value="$__all"))
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
            .sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
    )
    for title, charts in ROWS:
        builder = builder.with_row(dashboard.Row(title))
        for chart in charts:
            builder = builder.with_panel(_panel(chart))
    return json.loads(JSONEncoder(sort_keys=True, indent=2).encode(builder.build()))


def queries(document: dict) -> list[str]:
    """Every PromQL expression of the dashboard's panels, in order."""
    return [target["expr"] for panel in document.get("panels", []) for target in panel.get("targets", [])]


def as_prometheus_query(expr: str) -> str:
    """A panel's expression as Prometheus itself runs it: every host (the `$host` variable's All)."""
    return re.sub(r"\$host\b", ".*", expr)


def text() -> str:
    return json.dumps(dashboard_document(), indent=2, sort_keys=True) + "\n"


def write_grafana_dashboard(root: Path) -> list[Path]:
    """Writes the dashboard file where it differs; the paths written."""
    path = root / RELATIVE_PATH
    new = text()
    if path.is_file() and path.read_text(encoding="utf-8") == new:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return [path]
