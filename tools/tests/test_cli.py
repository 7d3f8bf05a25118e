import json
from pathlib import Path

import pytest

from mlopsctl.cli import access_summary, bench_json, dags_extra_vars, find_root, main, missing_parts, results_hint
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
    assert "Airflow UI/API: https://localhost:8443  (on air01)" in lines
    assert any("ca/ca.crt (import it to trust it)" in line for line in lines)
    assert any(line.endswith("airflow_admin_password  (generated; never printed)") for line in lines)


def test_bench_refuses_an_unknown_target_or_too_few_runs_before_booting_anything(root: Path, capsys) -> None:
    assert main(["--root", str(root), "bench", "mysql"]) == 2
    assert "unknown target(s) mysql; known: site, dags" in capsys.readouterr().err
    assert main(["--root", str(root), "bench", "site", "--runs", "1"]) == 2
    assert "medians need --runs 3 or more" in capsys.readouterr().err


def test_bench_json_holds_the_medians_under_the_documented_keys() -> None:
    site = {
        "cold": [100.0, 90.0, 120.0],
        "floor": [70.0, 80.0, 60.0],
        "noop": [9.0, 8.0, 30.0],
        "noop_changed": [0, 0, 0],
    }
    dags = {"deploy": [5.0, 7.0, 6.0], "rerun": [2.0, 2.5, 9.0], "pickup": [10.0, 200.0, 150.0, 30.0, 290.0]}
    assert bench_json(site, dags) == {
        "site_cold_s": 100.0,
        "site_floor_s": 70.0,
        "site_noop_s": 9.0,
        "site_noop_changed": 0,
        "dags_deploy_new_s": 6.0,
        "dags_deploy_noop_s": 2.5,
        "dags_airflow_pickup_s": 150.0,
    }
    # A re-run that changed something on any run is reported, not averaged away.
    assert bench_json({**site, "noop_changed": [0, 3, 0]}, None)["site_noop_changed"] == 3


def test_dags_deploy_passes_source_and_run_as_one_json_document(root: Path) -> None:
    args = dags_extra_vars(source=root / "dags", run="iris_training")
    assert args[0] == "-e"
    assert json.loads(args[1]) == {"dags_source_dir": str((root / "dags").resolve()), "dags_run": "iris_training"}
    assert json.loads(dags_extra_vars(rollback=True)[1]) == {"dags_rollback": True}
    assert dags_extra_vars() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["dags", "deploy", "--source", "/nonexistent"], "/nonexistent is not a directory with .py DAG files"),
        (["dags", "deploy", "--run", "x; rm -rf /"], "is not a DAG id"),
        (["dags", "rollback", "--source", "dags"], "a rollback returns to the previous release; it takes no --source"),
    ],
)
def test_dags_refuses_bad_input_before_running_ansible(root: Path, argv: list[str], message: str, capsys) -> None:
    assert main(["--root", str(root), *argv]) == 2
    assert message in capsys.readouterr().err


def test_dags_source_without_dag_files_is_refused(root: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("no DAGs here")
    assert main(["--root", str(root), "dags", "deploy", "--source", str(tmp_path)]) == 2
    assert "is not a directory with .py DAG files" in capsys.readouterr().err


def test_results_hint_reads_the_model_runs_on_the_db_host(tmp_path: Path) -> None:
    lines = results_hint(parse_local({}, tmp_path), "podman", "iris_training")
    assert "podman exec db01 runuser -u postgres -- psql -d dwh" in lines[1]
    assert "ml.model_runs" in lines[1]


def test_arguments_after_double_dash_reach_ansible_playbook_wherever_options_stand(
    root: Path, tmp_path: Path, monkeypatch
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(
        "mlopsctl.cli.secrets.rotate", lambda directory, name, run, extra: seen.append(extra) or tmp_path
    )
    argv = ["--root", str(root), "secrets", "rotate", "airflow_jwt_secret", "--inventory", str(tmp_path / "h.yml")]
    assert main([*argv, "--", "-e", '{"x": 1}', "--check"]) == 0
    assert seen == [["-e", '{"x": 1}', "--check"]]


def test_arguments_after_double_dash_on_a_command_without_a_playbook_are_refused(root: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--root", str(root), "docs", "--", "-e", "x=1"])
    assert "this command runs none" in capsys.readouterr().err
