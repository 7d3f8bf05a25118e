"""dags_release and dags_release_info as the dags role runs them: arguments, check mode, results and refusals, with
a stand-in for Airflow (module_utils tests hold the cases); stdout carries nothing but the module's answer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.datatech.mlops.plugins.module_utils.dags import Airflow
from ansible_collections.datatech.mlops.plugins.modules import dags_release, dags_release_info
from ansible_collections.datatech.mlops.tests.unit.plugins.module_utils.test_dags import (
    BROKEN,
    GOOD,
    FakeAirflow,
    make_bundle,
)


def run(module, args: dict, capsys: pytest.CaptureFixture) -> tuple[int, dict]:
    """The module's exit code and its answer, which must be stdout's only content."""
    return run_with_stderr(module, args, capsys)[:2]


def run_with_stderr(module, args: dict, capsys: pytest.CaptureFixture) -> tuple[int, dict, str]:
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        module.main()
    captured = capsys.readouterr()
    return exit_info.value.code, json.loads(captured.out), captured.err


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    live, releases = tmp_path / "dags", tmp_path / "dag-releases"
    live.mkdir()
    releases.mkdir()
    (tmp_path / "home").mkdir()
    fake = FakeAirflow(live=live)

    def noisy_parse(folder, bundle_name, parse=fake.parse):
        print("[2026-11-23T21:30:05] {dagbag.py:1} INFO - Filling up the DagBag")  # as Airflow logs to stdout
        return parse(folder, bundle_name)

    fake.parse = noisy_parse
    monkeypatch.setattr(dags_release, "Airflow", lambda: fake)
    monkeypatch.chdir(tmp_path)
    base = {"releases_dir": str(releases), "live_dir": str(live)}
    airflow = {"airflow_home": str(tmp_path / "home"), "airflow_config": str(tmp_path / "home/airflow.cfg")}
    return {"live": live, "releases": releases, "fake": fake, "base": base, "airflow": airflow}


def staged(host: dict, release: str, files: dict[str, str]) -> str:
    staging = host["releases"] / f".incoming-{release}"
    staging.mkdir()
    for name, text in files.items():
        (staging / name).write_text(text)
    return str(staging)


def test_info_plans_a_first_deploy_and_reads_what_is_live_after_it(host, capsys) -> None:
    code, plan = run(dags_release_info, {**host["base"], "release": "r1"}, capsys)
    assert code == 0 and not plan["changed"]
    assert {k: plan[k] for k in ("history", "live", "live_plain", "target", "present", "activate")} == {
        "history": [],
        "live": "",
        "live_plain": True,
        "target": "r1",
        "present": False,
        "activate": True,
    }
    assert plan["history_file"] == str(host["releases"] / "history.json") and plan["history_next"] == ["r1"]
    staging = staged(host, "r1", {"a.py": GOOD.format("a")})
    args = {**host["base"], **host["airflow"], "release": "r1", "staging": staging}
    code, done, err = run_with_stderr(dags_release, args, capsys)
    assert code == 0 and done["changed"] and done["activated"] and done["dags"] == ["a"]
    assert done["history"] == ["r1"] and done["parsed_at"] == "2026-11-23T21:30:05" and done["import_errors"] == {}
    assert "Filling up the DagBag" in err  # Airflow's output went to stderr, the answer alone to stdout
    assert os.environ["AIRFLOW_HOME"] == host["airflow"]["airflow_home"]
    code, plan = run(dags_release_info, {**host["base"], "release": "r1"}, capsys)
    assert (plan["live"], plan["present"], plan["dags"], plan["activate"]) == ("r1", True, ["a"], False)


def test_a_broken_release_fails_the_module_naming_the_file(host, capsys) -> None:
    files = {"a.py": GOOD.format("a"), "broken.py": BROKEN}
    args = {**host["base"], **host["airflow"], "release": "r1", "staging": staged(host, "r1", files), "label": "dags/"}
    code, result = run(dags_release, args, capsys)
    assert code == 1 and result["failed"] and not result["activated"]
    assert result["msg"].startswith("Airflow cannot import 1 file(s) of dags/: broken.py: RuntimeError: fails to")
    assert list(result["import_errors"]) == [str(host["releases"] / "r1/broken.py")] and result["dags"] == ["a"]
    assert list(host["releases"].iterdir()) == [] and host["live"].is_dir()


def test_check_mode_says_what_would_change_without_airflow(host, capsys, monkeypatch) -> None:
    monkeypatch.setattr(dags_release, "Airflow", None)  # called, it would fail
    args = {**host["base"], **host["airflow"], "release": "r1", "_ansible_check_mode": True}
    code, result = run(dags_release, args, capsys)
    assert code == 0 and result["changed"] and not result["activated"] and result["history"] == ["r1"]
    assert list(host["releases"].iterdir()) == []


def test_the_git_bundle_is_planned_from_a_tag_and_deployed(tmp_path, capsys, monkeypatch) -> None:
    bundle = make_bundle(tmp_path)
    monkeypatch.setattr(dags_release, "Airflow", lambda: bundle.airflow)
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)
    info = {"delivery": "git_bundle", "bundle_repo": str(bundle.repo), "release": "release-a"}
    code, plan = run(dags_release_info, info, capsys)
    assert code == 0 and plan["target"] == bundle.commits["a"] and plan["activate"] and plan["live"] == ""
    args = {"delivery": "git_bundle", "bundle_repo": str(bundle.repo), "release": plan["target"]}
    args |= {"airflow_home": str(tmp_path / "home"), "airflow_config": str(tmp_path / "cfg")}
    code, done = run(dags_release, args, capsys)
    assert code == 0 and done["activated"] and done["dags"] == ["gone", "stay"] and done["release"] == plan["target"]
    code, again = run(dags_release, args, capsys)
    assert code == 0 and not again["changed"] and not again["activated"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"release": "r1"}, "delivery is folder but all of the following are missing: releases_dir, live_dir"),
        ({"delivery": "git_bundle"}, "delivery is git_bundle but all of the following are missing: bundle_repo"),
    ],
)
def test_info_refuses_a_delivery_without_its_paths(args, message, capsys) -> None:
    code, result = run(dags_release_info, args, capsys)
    assert code == 1 and message in result["msg"]


def test_a_rollback_takes_no_staging_and_a_folder_deploy_needs_a_release(host, capsys) -> None:
    args = {**host["base"], **host["airflow"], "release": "r1", "staging": "/x", "rollback": True}
    code, result = run(dags_release, args, capsys)
    assert code == 1 and "takes no staging" in result["msg"]
    code, result = run(dags_release_info, host["base"], capsys)
    assert code == 1 and "release is required unless rollback is true" in result["msg"]


def test_without_airflow_the_deploy_fails_naming_the_interpreter(host, capsys, monkeypatch) -> None:
    monkeypatch.setattr(dags_release, "Airflow", Airflow)  # the real one: Airflow is not installed here
    args = {**host["base"], **host["airflow"], "release": "r1", "staging": staged(host, "r1", {"a.py": GOOD})}
    code, result = run(dags_release, args, capsys)
    assert code == 1 and result["msg"].startswith("Airflow cannot be imported by ")
    assert list(host["releases"].iterdir()) == []
