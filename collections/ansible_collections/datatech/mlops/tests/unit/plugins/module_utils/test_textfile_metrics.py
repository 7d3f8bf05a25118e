"""module_utils/textfile_metrics and the monitoring role's files/mlops_metrics.py that runs it on the host: pgBackRest's
info, Airflow's API (a fake server speaking its health, token and dagRuns endpoints) and withdrawal records become
textfile-collector metrics, written atomically; a source that fails leaves success 0 and no secret in the output."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils import textfile_metrics as tm

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / "roles/monitoring/files/mlops_metrics.py"

# pgbackrest info --output=json of pgBackRest 2.5x, cut to the keys that matter.
INFO = [
    {
        "name": "main",
        "status": {"code": 0, "message": "ok"},
        "backup": [
            {"type": "full", "error": False, "timestamp": {"start": 1000, "stop": 1100}},
            {"type": "diff", "error": False, "timestamp": {"start": 2000, "stop": 2050}},
            {"type": "full", "error": False, "timestamp": {"start": 3000, "stop": 3100}},
            {"type": "full", "error": True, "timestamp": {"start": 4000, "stop": 4100}},
        ],
    },
    {"name": "empty", "status": {"code": 2, "message": "no valid backups"}, "backup": []},
]

HEALTH = {
    "metadatabase": {"status": "healthy"},
    "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-12-03T07:00:00.123456+00:00"},
    "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
    "dag_processor": {"status": "unhealthy", "latest_dag_processor_heartbeat": "2026-12-03T06:00:00Z"},
}


def samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_render_gives_help_and_type_once_per_name_and_escapes_labels() -> None:
    text = tm.render(
        [
            tm.Metric("b", {"x": 'a"b\\c\nd'}, 1, "B."),
            tm.Metric("a", {}, 2.5, "A."),
            tm.Metric("b", {"x": "y"}, 0, "B."),
        ]
    )
    assert text == (
        "# HELP mlops_a A.\n# TYPE mlops_a gauge\nmlops_a 2.5\n"
        "# HELP mlops_b B.\n# TYPE mlops_b gauge\n"
        'mlops_b{x="a\\"b\\\\c\\nd"} 1\nmlops_b{x="y"} 0\n'
    )
    assert tm.render([]) == ""


def test_write_atomically_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "mlops_x.prom"
    target.write_text("old\n")
    tm.write_atomically(str(target), "new\n")
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlops_x.prom"]


def test_backup_metrics_take_the_newest_good_full_backup_and_zero_without_one() -> None:
    got = samples(tm.render(tm.backup_metrics(INFO)))
    assert got['mlops_backup_last_full_timestamp_seconds{stanza="main"}'] == 3100
    assert got['mlops_backup_last_full_timestamp_seconds{stanza="empty"}'] == 0
    assert got['mlops_backup_last_timestamp_seconds{stanza="main",type="diff"}'] == 2050
    assert got['mlops_backup_status_code{stanza="main"}'] == 0
    assert got['mlops_backup_status_code{stanza="empty"}'] == 2


@pytest.mark.parametrize("info", [{}, [{"status": {}}]])
def test_backup_metrics_refuse_what_is_not_pgbackrest_info(info: Any) -> None:
    with pytest.raises(ValueError):
        tm.backup_metrics(info)


def test_restore_drill_metrics_give_the_last_drills_verdict_time_and_rows() -> None:
    report = {"ok": True, "target": "latest", "ended": 1796281200.5, "seconds": 31.2, "rows": 1941}
    got = samples(tm.render(tm.restore_drill_metrics(report)))
    assert got['mlops_restore_drill_success{target="latest"}'] == 1
    assert got['mlops_restore_drill_timestamp_seconds{target="latest"}'] == 1796281200.5
    assert got['mlops_restore_drill_duration_seconds{target="latest"}'] == pytest.approx(31.2)
    assert got['mlops_restore_drill_rows{target="latest"}'] == 1941
    failed = samples(tm.render(tm.restore_drill_metrics({"ok": False, "target": "latest", "error": "x"})))
    assert failed['mlops_restore_drill_success{target="latest"}'] == 0
    assert failed['mlops_restore_drill_timestamp_seconds{target="latest"}'] == 0


@pytest.mark.parametrize("report", [None, [], {"ok": "yes"}, {"reason": "unreadable"}])
def test_restore_drill_metrics_refuse_what_is_not_a_drill_report(report: Any) -> None:
    with pytest.raises(ValueError, match="not a drill report"):
        tm.restore_drill_metrics(report)


def test_airflow_health_metrics_give_each_heartbeat_and_health() -> None:
    got = samples(tm.render(tm.airflow_health_metrics(HEALTH)))
    assert got['mlops_airflow_heartbeat_timestamp_seconds{component="scheduler"}'] == pytest.approx(1796281200.123456)
    assert got['mlops_airflow_heartbeat_timestamp_seconds{component="dag_processor"}'] == 1796277600
    assert got['mlops_airflow_heartbeat_timestamp_seconds{component="triggerer"}'] == 0
    assert got['mlops_airflow_component_healthy{component="metadatabase"}'] == 1
    assert got['mlops_airflow_component_healthy{component="dag_processor"}'] == 0
    with pytest.raises(ValueError):
        tm.airflow_health_metrics({"metadatabase": {"status": "healthy"}})


def test_failed_runs_are_counted_per_dag_and_the_query_names_the_window() -> None:
    runs: ClassVar[list[dict[str, str]]] = [
        {"dag_id": "iris", "state": "failed"},
        {"dag_id": "iris", "state": "failed"},
        {"dag_id": "wine", "state": "failed"},
        {"dag_id": "ok", "state": "success"},
    ]
    got = samples(tm.render(tm.failed_runs_metrics(runs, 3600)))
    assert got == {
        'mlops_airflow_dag_runs_failed{dag_id="iris"}': 2,
        'mlops_airflow_dag_runs_failed{dag_id="wine"}': 1,
        "mlops_airflow_failed_window_seconds": 3600,
    }
    assert tm.failed_runs_query(1796281200, 3600, 100, 100) == (
        "state=failed&end_date_gte=2026-12-03T06:00:00Z&order_by=-end_date&limit=100&offset=100"
    )


def test_pg_strom_metrics_per_cluster_with_reason_and_since(tmp_path: Path) -> None:
    for cluster in ("15/main", "17/main", "17/other"):
        (tmp_path / cluster).mkdir(parents=True)
        (tmp_path / cluster / "postgresql.conf").write_text("")
    (tmp_path / "17/notacluster").mkdir()
    (tmp_path / "17/main/pg_strom_withdrawn.json").write_text(
        json.dumps({"since": "2026-12-03T06:00:00Z", "reason": "pg_strom.so needs libcuda.so.1", "fingerprint": "x"})
    )
    (tmp_path / "17/other/pg_strom_withdrawn.json").write_text("{not json")
    assert tm.clusters(str(tmp_path)) == ["15/main", "17/main", "17/other"]
    records = {c: tm.read_record(str(tmp_path / c / "pg_strom_withdrawn.json")) for c in tm.clusters(str(tmp_path))}
    got = samples(tm.render(tm.pg_strom_metrics(records)))
    assert got['mlops_pg_strom_withdrawn{cluster="15/main"}'] == 0
    assert got['mlops_pg_strom_withdrawn{cluster="17/main",reason="pg_strom.so needs libcuda.so.1"}'] == 1
    assert got['mlops_pg_strom_withdrawn_since_timestamp_seconds{cluster="17/main"}'] == 1796277600
    assert [
        k
        for k in got
        if k.startswith('mlops_pg_strom_withdrawn{cluster="17/other",reason="the withdrawal record cannot be read')
    ] != []
    assert tm.clusters(str(tmp_path / "missing")) == []


def test_gpu_metrics_count_what_is_seen_against_what_must_be() -> None:
    seen = {"count": 2, "driver_loaded": True, "driver_version": "580.1", "reason": "usable", "devices": [{}, {}]}
    got = samples(tm.render(tm.gpu_metrics(seen, 2)))
    assert got == {
        "mlops_gpu_expected_devices": 2,
        "mlops_gpu_pci_devices": 2,
        "mlops_gpu_driver_loaded": 1,
        "mlops_gpu_visible_devices": 2,
        'mlops_gpu_info{driver_version="580.1",reason="usable"}': 1,
    }
    gone = samples(tm.render(tm.gpu_metrics({"count": 0, "reason": "no NVIDIA GPU", "devices": "junk"}, 1)))
    assert gone["mlops_gpu_visible_devices"] == 0
    assert gone["mlops_gpu_expected_devices"] == 1
    assert gone['mlops_gpu_info{driver_version="",reason="no NVIDIA GPU"}'] == 1


@pytest.fixture(name="script")
def fixture_script(tmp_path: Path) -> Any:
    """The role's script, imported from a copy laid out as on the host (textfile_metrics.py beside it)."""
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copy(SCRIPT, folder / "mlops_metrics.py")
    shutil.copy(Path(tm.__file__), folder / "textfile_metrics.py")
    shutil.copy(Path(tm.__file__).with_name("gpu.py"), folder / "gpu.py")
    spec = importlib.util.spec_from_file_location("mlops_metrics_under_test", folder / "mlops_metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("textfile_metrics", None)
    sys.modules.pop("gpu", None)
    sys.path.remove(str(folder))


def run(script: Any, tmp_path: Path, collector: str, config: dict[str, Any]) -> tuple[int, dict[str, float]]:
    out = tmp_path / "textfile"
    out.mkdir(exist_ok=True)
    conf = tmp_path / f"{collector}.json"
    conf.write_text(json.dumps({**config, "dir": str(out)}))
    code = script.main([collector, "--config", str(conf)])
    return code, samples((out / f"mlops_{collector}.prom").read_text())


def test_script_pg_strom_writes_the_clusters(script: Any, tmp_path: Path) -> None:
    (tmp_path / "pg/17/main").mkdir(parents=True)
    (tmp_path / "pg/17/main/postgresql.conf").write_text("")
    code, got = run(script, tmp_path, "pg_strom", {"root": str(tmp_path / "pg")})
    assert code == 0
    assert got['mlops_pg_strom_withdrawn{cluster="17/main"}'] == 0
    assert got['mlops_textfile_success{collector="pg_strom"}'] == 1


def test_script_gpu_sees_fewer_gpus_than_the_bus_had_when_the_driver_fell_off(script: Any, tmp_path: Path) -> None:
    device = tmp_path / "sys/bus/pci/devices/0000:00:05.0"
    device.mkdir(parents=True)
    (device / "vendor").write_text("0x10de\n")
    (device / "class").write_text("0x030200\n")
    (tmp_path / "proc/driver/nvidia/gpus/0000:00:05.0").mkdir(parents=True)
    smi = tmp_path / "nvidia-smi"
    smi.write_text(
        "#!/bin/sh\necho 'Unable to determine the device handle for GPU0000:00:05.0: Unknown Error' >&2\nexit 15\n"
    )
    smi.chmod(0o755)
    roots = {"sysfs_root": str(tmp_path / "sys"), "procfs_root": str(tmp_path / "proc"), "nvidia_smi": str(smi)}
    code, got = run(script, tmp_path, "gpu", {**roots, "expected": 1})
    assert code == 0
    assert got["mlops_gpu_pci_devices"] == 1
    assert got["mlops_gpu_driver_loaded"] == 1
    assert got["mlops_gpu_visible_devices"] == 0
    assert [k for k in got if k.startswith("mlops_gpu_info") and "nvidia-smi failed (exit 15)" in k] != []
    assert got['mlops_textfile_success{collector="gpu"}'] == 1


class FakeAirflow(BaseHTTPRequestHandler):
    """Airflow 3's health, token and dagRuns endpoints, the last one paged by two."""

    password = "s3cret-pass"
    runs: ClassVar[list[dict[str, str]]] = [
        {"dag_id": "iris", "state": "failed"},
        {"dag_id": "iris", "state": "failed"},
        {"dag_id": "wine", "state": "failed"},
    ]
    queries: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def answer(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/auth/token" and sent == {"username": "monitoring", "password": self.password}:
            self.answer(201, {"access_token": "tok"})
        else:
            self.answer(401, {"detail": f"Invalid credentials {sent}"})

    def do_GET(self) -> None:
        if self.path == "/api/v2/monitor/health":
            self.answer(200, HEALTH)
        elif self.path.startswith("/api/v2/dags/~/dagRuns?") and self.headers["Authorization"] == "Bearer tok":
            FakeAirflow.queries.append(self.path)
            offset = int(self.path.rsplit("offset=", 1)[1])
            self.answer(200, {"dag_runs": self.runs[offset : offset + 2], "total_entries": len(self.runs)})
        else:
            self.answer(403, {"detail": "Forbidden"})


@pytest.fixture(name="airflow_url")
def fixture_airflow_url() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAirflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_script_airflow_reads_health_and_every_page_of_failed_runs(
    script: Any, tmp_path: Path, airflow_url: str
) -> None:
    FakeAirflow.queries.clear()
    code, got = run(
        script,
        tmp_path,
        "airflow",
        {"url": airflow_url, "user": "monitoring", "password": FakeAirflow.password, "window": 3600},
    )
    assert code == 0
    assert got['mlops_airflow_dag_runs_failed{dag_id="iris"}'] == 2
    assert got['mlops_airflow_dag_runs_failed{dag_id="wine"}'] == 1
    assert got['mlops_airflow_component_healthy{component="scheduler"}'] == 1
    assert got['mlops_textfile_success{collector="airflow"}'] == 1
    assert [q.rsplit("offset=", 1)[1] for q in FakeAirflow.queries] == ["0", "2"]


def test_script_airflow_refused_login_writes_failure_and_never_the_password(
    script: Any, tmp_path: Path, airflow_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, got = run(
        script,
        tmp_path,
        "airflow",
        {"url": airflow_url, "user": "monitoring", "password": "wrong-pass", "window": 3600},
    )
    assert code == 1
    assert got == {
        'mlops_textfile_success{collector="airflow"}': 0,
        'mlops_textfile_run_timestamp_seconds{collector="airflow"}': got[
            'mlops_textfile_run_timestamp_seconds{collector="airflow"}'
        ],
    }
    err = capsys.readouterr().err
    assert "refused the monitoring account's login (HTTP 401)" in err
    assert "wrong-pass" not in err


def test_script_backup_failure_is_reported(script: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Done:
        returncode = 49
        stdout = ""
        stderr = "ERROR: [049]: unable to find stanza"

    monkeypatch.setattr(script.subprocess, "run", lambda *a, **k: Done())
    monkeypatch.setattr(script.pwd, "getpwnam", lambda name: type("P", (), {"pw_uid": 1, "pw_gid": 1, "pw_dir": "/"}))
    code, got = run(script, tmp_path, "backup", {"stanza": "main", "user": "pgbackrest"})
    assert code == 1
    assert got['mlops_textfile_success{collector="backup"}'] == 0

    Done.returncode, Done.stdout = 0, json.dumps(INFO)
    code, got = run(script, tmp_path, "backup", {"stanza": "main", "user": "pgbackrest"})
    assert code == 0
    assert got['mlops_backup_last_full_timestamp_seconds{stanza="main"}'] == 3100
