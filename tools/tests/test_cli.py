"""The command line: errors as one line with exit 2, the checkout found, arguments checked before anything runs."""

import ast
from pathlib import Path

import pytest

from mlopsctl.checkout import find_root
from mlopsctl.cli import build_parser, main
from mlopsctl.errors import ConfigError

CLI = Path(__file__).resolve().parents[1] / "src/mlopsctl/cli.py"


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
    monkeypatch.setattr("mlopsctl.checkout.__file__", str(tmp_path / "x.py"))
    with pytest.raises(ConfigError, match="run mlopsctl inside the repository"):
        find_root(tmp_path)


def test_bench_refuses_an_unknown_target_or_too_few_runs_before_booting_anything(root: Path, capsys) -> None:
    assert main(["--root", str(root), "bench", "mysql"]) == 2
    assert "unknown target(s) mysql; known: site, dags" in capsys.readouterr().err
    assert main(["--root", str(root), "bench", "site", "--runs", "1"]) == 2
    assert "medians need --runs 3 or more" in capsys.readouterr().err


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


def test_arguments_after_double_dash_reach_ansible_playbook_wherever_options_stand(
    root: Path, tmp_path: Path, monkeypatch
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("mlopsctl.secrets.rotate", lambda directory, name, run, extra: seen.append(extra) or tmp_path)
    argv = ["--root", str(root), "secrets", "rotate", "airflow_jwt_secret", "--inventory", str(tmp_path / "h.yml")]
    assert main([*argv, "--", "-e", '{"x": 1}', "--check"]) == 0
    assert seen == [["-e", '{"x": 1}', "--check"]]


def test_arguments_after_double_dash_on_a_command_without_a_playbook_are_refused(root: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--root", str(root), "docs", "--", "-e", "x=1"])
    assert "this command runs none" in capsys.readouterr().err


def test_release_site_passes_what_follows_double_dash_to_ansible_playbook() -> None:
    args = build_parser().parse_args(["release", "site", "--dest", "/c", "extra.yml"])
    assert args.func.__name__ == "site" and args.ansible_args == ["extra.yml"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["release", "check", "--limit", "db"])


def test_a_release_problem_exits_2_with_the_problem_named(root: Path, capsys) -> None:
    assert main(["--root", str(root), "release", "check", "--tag", "v0.0.0-not-this"]) == 2
    err = capsys.readouterr().err
    assert "release check: tag 'v0.0.0-not-this' does not match galaxy.yml version" in err
    assert err.rstrip().splitlines()[-1].startswith("mlopsctl: error: release check: ")


def test_cli_holds_only_the_parser_dispatch_and_error_handling() -> None:
    functions = [node.name for node in ast.parse(CLI.read_text()).body if isinstance(node, ast.FunctionDef)]
    assert functions == ["add_release", "build_parser", "main"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["bench", "gpu", "--dsn", "postgresql://nobody@127.0.0.1:1/x", "--scale", "-1"],
            "--scale -1.0 must be a number above 0",
        ),
        (
            ["bench", "gpu", "--dsn", "postgresql://nobody@127.0.0.1:1/x", "--scale", "nan"],
            "--scale nan must be a number above 0",
        ),
        (
            ["bench", "gpu", "--dsn", "postgresql://nobody@127.0.0.1:1/x", "--scale", "inf"],
            "--scale inf must be a number above 0",
        ),
        (["bench", "gpu", "--dsn", "postgresql://nobody@127.0.0.1:1/x", "--runs", "0"], "--runs must be 1 or more"),
        (["db", "restore", "--to", "0001-01-01T00:00:00+05:00"], "is before year 1 in UTC"),
        (["bench", "workers", "site"], "workers runs on its own"),
        (["bench", "workers", "--runs", "2"], "medians need --runs 3 or more"),
        # The repository's mlopsctl.toml has no worker host.
        (["bench", "workers"], "needs two hosts in airflow_workers (mlopsctl.toml has 0)"),
    ],
)
def test_bad_numbers_and_times_are_one_error_before_anything_runs(argv, message, root: Path, capsys) -> None:
    assert main(["--root", str(root), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "psql" not in err


def test_a_root_that_is_not_a_checkout_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["--root", str(tmp_path), "hosts", "down"]) == 2
    assert f"--root {tmp_path} is not a checkout of the platform" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ("", "up: --run needs a DAG id; pass --no-run"),
        ("bad id!", "is not a DAG id"),
        ("x" * 251, "at most 250 characters"),
        ("iris_training\n", "is not a DAG id"),
    ],
)
def test_up_checks_the_dag_to_run_before_any_host_is_made(root: Path, capsys, run: str, message: str) -> None:
    # The local hosts would be booted first, and the cloud's VMs applied, were the check after them.
    assert main(["--root", str(root), "up", "--run", run]) == 2
    assert message in capsys.readouterr().err
    assert main(["--root", str(root), "up", "--cloud", "selectel", "--run", run]) == 2


@pytest.mark.parametrize("action", [["release", "build", "--output", "/proc/no-such-dir"], ["release", "notes"]])
def test_an_output_path_that_cannot_be_written_is_one_line(root: Path, tmp_path: Path, capsys, action) -> None:
    argv = [*action, "--output", str(tmp_path)] if action[1] == "notes" else action
    assert main(["--root", str(root), *argv]) == 2
    err = capsys.readouterr().err
    assert "check the path and its permissions" in err and "Traceback" not in err and len(err.splitlines()) == 1
