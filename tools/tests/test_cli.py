from pathlib import Path

import pytest

from mlopsctl.cli import access_summary, find_root, main, missing_parts
from mlopsctl.config import ConfigError, parse_local


def test_bad_config_exits_2_with_the_setting_named(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[local]\nengine = "lxc"\n')
    assert main(["--root", str(root), "--config", str(bad), "hosts", "up"]) == 2
    assert "local.engine: 'lxc' is not one of" in capsys.readouterr().err


def test_converge_without_inventory_says_to_bring_hosts_up(tmp_path: Path, root: Path, capsys) -> None:
    assert main(["--root", str(root), "converge", "--inventory", str(tmp_path / "none.yml")]) == 2
    assert "run `mlopsctl hosts up` first" in capsys.readouterr().err


def test_root_is_found_from_a_subdirectory(root: Path) -> None:
    assert find_root(root / "tools/src") == root


def test_outside_a_checkout_the_error_says_where_to_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("mlopsctl.cli.__file__", str(tmp_path / "x.py"))
    with pytest.raises(ConfigError, match="run mlopsctl inside the repository"):
        find_root(tmp_path)


def test_missing_parts_are_reported(tmp_path: Path) -> None:
    (tmp_path / "collections/ansible_collections/datatech/mlops/roles/postgresql").mkdir(parents=True)
    assert missing_parts(tmp_path)[0] == "Airflow on air01"


def test_access_summary_names_the_url_user_and_secret_files(root: Path, tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    lines = access_summary(root, cfg, tmp_path / "inventories/local/hosts.yml")
    assert "Airflow UI/API: http://127.0.0.1:8080  (on air01)" in lines
    assert any(line.endswith("airflow_admin_password  (generated; never printed)") for line in lines)


def test_bench_refuses_an_unknown_role_before_booting_anything(root: Path, capsys) -> None:
    assert main(["--root", str(root), "bench", "mysql"]) == 2
    assert "unknown role(s) mysql; known: postgresql, airflow" in capsys.readouterr().err
