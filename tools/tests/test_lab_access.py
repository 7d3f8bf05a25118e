"""How `mlopsctl up` says to reach the local platform, and where the example DAG's results are."""

from pathlib import Path

import pytest

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.lab.access import access_summary, local_api, results_hint
from mlopsctl.lab.config import parse_local


def test_access_summary_names_the_url_user_and_secret_files(root: Path, tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    lines = access_summary(root, cfg, tmp_path / "inventories/local/hosts.yml")
    assert "Airflow UI/API: https://localhost:8443  (on air01)" in lines
    assert any("ca/ca.crt (import it to trust it)" in line for line in lines)
    assert any(line.endswith("airflow_admin_password  (generated; never printed)") for line in lines)


def test_results_hint_reads_the_model_runs_on_the_db_host(tmp_path: Path) -> None:
    lines = results_hint(parse_local({}, tmp_path), "podman", "iris_training")
    assert "podman exec db01 runuser -u postgres -- psql -d dwh" in lines[1]
    assert "ml.model_runs" in lines[1]


def test_local_api_is_the_published_https_port_with_the_generated_admin(root: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "inventories/local/hosts.yml"
    cfg = parse_local({}, tmp_path)
    with pytest.raises(CommandError, match="run `mlopsctl up` before `mlopsctl bench dags`"):
        local_api(root, cfg, inventory)
    (inventory.parent / ".secrets").mkdir(parents=True)
    (inventory.parent / ".secrets/airflow_admin_password").write_text("pw\n")
    host, api = local_api(root, cfg, inventory)
    assert (host, api.url, api.user, api.password) == ("air01", "https://localhost:8443", "admin", "pw")
    unpublished = parse_local({"hosts": {"air01": {"groups": ["airflow"]}}}, tmp_path)
    with pytest.raises(ConfigError, match="publishes the HTTPS port"):
        local_api(root, unpublished, inventory)
