"""module_utils/dags (role dags): the decisions of a DAG deploy, and both deliveries on real directories and real git
repositories, with a stand-in for Airflow (not installed here) that parses files by a simple rule."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils import dags
from ansible_collections.datatech.mlops.plugins.module_utils.dags import (
    Airflow,
    BundleSettings,
    DeployError,
    activation_needed,
    api_import_errors,
    api_readiness,
    bundle_plan,
    deploy_bundle,
    deploy_folder,
    error_lines,
    escaping_links,
    folder_plan,
    next_history,
    refusal,
    resolve,
    rollback_target,
    task_states,
)

GOOD = "from airflow.sdk import dag\n# dag_id={}\n"
BROKEN = "from airflow.sdk import dag\nraise RuntimeError('fails to import on purpose')\n"
TRACEBACK = 'Traceback (most recent call last):\n  File "{}", line 2, in <module>\n{}\n'


class FakeAirflow(Airflow):
    """Parses a file as broken when it raises, finds the DAG ids its `# dag_id=` lines name; records what it
    serialized, and where the DAGs folder link or the branch pointed at that moment."""

    def __init__(self, live: Path | None = None, repo: Path | None = None, fail_serialize: bool = False) -> None:
        self.live, self.repo, self.fail_serialize = live, repo, fail_serialize
        self.settings: dict[str, BundleSettings] = {}
        self.parsed: list[Path] = []
        self.serialized: list[str] = []

    def parse(self, folder: Path, bundle_name: str) -> tuple[list[str], dict[str, str]]:
        self.parsed.append(folder)
        found, errors = [], {}
        for path in sorted(folder.glob("*.py")):
            text = path.read_text()
            if "raise" in text:
                errors[str(path)] = TRACEBACK.format(path, re.search(r"raise (\w+)\('(.*)'\)", text).expand(r"\1: \2"))
            found += re.findall(r"# dag_id=(\w+)", text)
        return sorted(found), errors

    def bundle(self, name: str) -> BundleSettings | None:
        return self.settings.get(name)

    def serialize(self, selected, what: str) -> str:
        candidates = [SimpleNamespace(name="dags-folder", path=str(self.live))]
        candidates += [SimpleNamespace(name=name, path="") for name in self.settings]
        if not any(selected(c) for c in candidates):
            raise DeployError(f"no DAG bundle of Airflow {what}")
        if self.fail_serialize:
            raise RuntimeError("the metadata database is gone")
        if self.live is not None:
            self.serialized.append(os.readlink(self.live))
        else:
            self.serialized.append(dags.branch_head(self.repo, "live"))
        return "2026-11-23T21:30:05"


# ---------------------------------------------------------------------------------------------------------------------
# Decisions


@pytest.mark.parametrize(
    ("history", "release", "keep", "rollback", "adopted", "expected"),
    [
        ([], "a", 5, False, "", ["a"]),
        (["a", "b"], "c", 5, False, "", ["a", "b", "c"]),
        (["a", "b", "c"], "d", 3, False, "", ["b", "c", "d"]),  # the oldest goes
        (["a", "b", "c"], "a", 5, False, "", ["b", "c", "a"]),  # an older release deployed again moves to the end
        (["a", "b", "c"], "c", 5, False, "", ["a", "b", "c"]),
        (["a", "b", "c"], "b", 5, True, "", ["a", "b"]),  # a rollback drops the live release
        ([], "a", 5, False, "unmanaged-1", ["unmanaged-1", "a"]),  # adopted DAGs are the release before
        (["a"], "b", 2, False, "unmanaged-1", ["unmanaged-1", "b"]),
    ],
)
def test_the_next_history_ends_with_the_release_and_keeps_the_newest(
    history, release, keep, rollback, adopted, expected
) -> None:
    assert next_history(history, release, keep, rollback, adopted) == expected


def test_a_rollback_returns_to_the_release_before_the_live_one() -> None:
    assert rollback_target(["a", "b", "c"]) == "b"
    assert rollback_target(["a"]) == "" and rollback_target([]) == ""


@pytest.mark.parametrize(
    ("live", "release", "history", "needed"),
    [
        ("a", "a", ["a"], False),  # what is asked for is live: nothing to do
        ("a", "b", ["a"], True),
        ("", "a", [], True),  # first deploy
        ("a", "a", ["a", "b"], True),  # an earlier run switched back but did not record it
        ("a", "a", [], True),
        ("a", "", ["a"], False),  # nothing to make live (a rollback without an earlier release)
    ],
)
def test_activation_is_needed_unless_the_release_is_live_and_recorded(live, release, history, needed) -> None:
    assert activation_needed(live, release, history) is needed


def test_each_broken_file_is_named_with_the_last_line_of_its_traceback() -> None:
    errors = {
        "/r/abc/sub/b.py": "Traceback:\n  File x\nValueError: no\n\n",
        "/r/abc/a.py": '  File "/r/abc/a.py", line 3\n    def broken(:\n               ^\nSyntaxError: invalid syntax',
        "elsewhere.py": "ImportError: cannot import name 'x'",
    }
    assert error_lines(errors, root="/r/abc") == [
        "a.py: SyntaxError: invalid syntax",
        "sub/b.py: ValueError: no",
        "elsewhere.py: ImportError: cannot import name 'x'",
    ]


def test_a_refusal_names_the_broken_files_or_says_there_is_no_dag() -> None:
    errors = {"/s/broken.py": "Traceback ...\nSyntaxError: '(' was never closed"}
    assert refusal(["x"], errors, "dags", ["broken.py", "x.py"], "air01", root="/s") == (
        "Airflow cannot import 1 file(s) of dags: broken.py: SyntaxError: '(' was never closed. "
        "Run the DAG tests (make dags-test) to see the full traceback."
    )
    assert refusal([], {}, "dags", ["helpers.py"], "air01") == (
        "Airflow found no DAG in dags (helpers.py). Files need `airflow` and `dag` in them to be parsed; "
        "the live DAGs on air01 are unchanged."
    )
    assert refusal(["x"], {}, "dags", ["x.py"], "air01") == ""


def api_dag(dag_id: str, parsed: str | None = "2026-11-23T21:30:06.123Z", **fields) -> dict:
    return {"dag_id": dag_id, "is_stale": False, "has_import_errors": False, "last_parsed_time": parsed, **fields}


def test_the_api_shows_a_folder_release_once_each_dag_is_active_clean_and_parsed_after_the_switch() -> None:
    since = "2026-11-23T21:30:05"
    listed = [
        api_dag("fresh"),
        api_dag("old", parsed="2026-11-23T21:29:59.000Z"),  # parsed before the switch: the old release's
        api_dag("never", parsed=None),
        api_dag("stale", is_stale=True),
        api_dag("broken", has_import_errors=True),
        api_dag("other"),  # not the release's: listed from elsewhere, not an error in folder mode
    ]
    wanted = ["fresh", "old", "never", "stale", "broken"]
    assert api_readiness(listed, wanted, since) == {"not_ready": ["old", "never", "stale", "broken"], "unexpected": []}
    # Without an activation in this run any parse time will do.
    assert api_readiness(listed, ["fresh", "old"]) == {"not_ready": [], "unexpected": []}


def test_the_api_shows_a_bundle_commit_from_the_bundle_at_that_version_and_nothing_it_removed() -> None:
    listed = [
        api_dag("stay", bundle_name="dags-git", bundle_version="b"),
        api_dag("new", bundle_name="dags-git", bundle_version="a"),  # still at the commit before
        api_dag("gone", bundle_name="dags-git", bundle_version="a"),  # removed by commit b, still active
        api_dag("folder_dag", bundle_name="dags-folder", bundle_version=None),
        api_dag("gone_stale", bundle_name="dags-git", is_stale=True),
    ]
    assert api_readiness(listed, ["stay", "new"], "", "dags-git", "b") == {"not_ready": ["new"], "unexpected": ["gone"]}


def test_the_apis_import_errors_and_task_states_read_as_one_line_each() -> None:
    errors = [{"filename": "dags/x.py", "stack_trace": "Traceback\nKeyError: 'k'\n"}, {"filename": "y.py"}]
    assert api_import_errors(errors) == ["dags/x.py: KeyError: 'k'", "y.py: "]
    tasks = [{"task_id": "load", "state": "success"}, {"task_id": "train", "state": "failed"}]
    assert task_states(tasks) == "load=success, train=failed"


# ---------------------------------------------------------------------------------------------------------------------
# Folder releases


@pytest.fixture
def host(tmp_path: Path) -> SimpleNamespace:
    """An Airflow host as the airflow role leaves it: an empty plain DAGs folder, no releases yet."""
    live = tmp_path / "airflow/dags"
    live.mkdir(parents=True)
    return SimpleNamespace(live=live, releases=tmp_path / "airflow/dag-releases", airflow=FakeAirflow(live=live))


def stage(host: SimpleNamespace, release: str, files: dict[str, str]) -> Path:
    staging = host.releases / f".incoming-{release}"
    staging.mkdir(parents=True)
    for name, text in files.items():
        (staging / name).write_text(text)
    return staging


def ship(host: SimpleNamespace, release: str, files: dict[str, str], keep: int = 5) -> dags.Outcome:
    staging = stage(host, release, files)
    return deploy_folder(host.airflow, host.releases, host.live, release, keep, staging=staging, host="air01")


def history(host: SimpleNamespace) -> list[str]:
    return json.loads((host.releases / "history.json").read_text())


def test_a_first_deploy_replaces_the_empty_dags_folder_with_a_link_to_the_checked_release(host) -> None:
    plan = folder_plan(host.releases, host.live, "r1", 5, False)
    assert (plan.history, plan.live, plan.live_plain, plan.present, plan.activate) == ([], "", True, False, True)
    done = ship(host, "r1", {"a.py": GOOD.format("a"), "b.py": GOOD.format("b")})
    assert done.activated and done.dags == ["a", "b"] and done.history == ["r1"] and done.adopted == ""
    assert done.parsed_at == "2026-11-23T21:30:05"
    assert os.readlink(host.live) == str(host.releases / "r1")
    # Airflow parsed the release where it lives, and serialized it with the link already switched.
    assert host.airflow.parsed == [host.releases / "r1"] and host.airflow.serialized == [str(host.releases / "r1")]
    assert json.loads((host.releases / "r1/.mlops-dags.json").read_text()) == ["a", "b"]
    assert history(host) == ["r1"] and sorted(p.name for p in host.releases.iterdir()) == ["history.json", "r1"]
    again = folder_plan(host.releases, host.live, "r1", 5, False)
    assert (again.live, again.present, again.dags, again.activate) == ("r1", True, ["a", "b"], False)


def test_a_celery_worker_checks_and_switches_the_release_but_leaves_serializing_to_the_scheduler_host(host) -> None:
    staging = stage(host, "r1", {"a.py": GOOD.format("a")})
    done = deploy_folder(host.airflow, host.releases, host.live, "r1", 5, staging=staging, serialize=False)
    assert done.activated and done.dags == ["a"] and done.parsed_at == "" and history(host) == ["r1"]
    assert os.readlink(host.live) == str(host.releases / "r1")
    assert host.airflow.parsed == [host.releases / "r1"] and host.airflow.serialized == []


def test_a_deploy_of_what_is_live_starts_no_airflow_and_changes_nothing(host) -> None:
    ship(host, "r1", {"a.py": GOOD.format("a")})
    host.airflow.parsed.clear()
    host.airflow.serialized.clear()
    done = deploy_folder(host.airflow, host.releases, host.live, "r1", 5)
    assert not done.activated and done.history == ["r1"] and done.dags == ["a"]
    assert host.airflow.parsed == [] and host.airflow.serialized == []


def test_a_broken_release_is_refused_with_the_file_named_and_nothing_left(host) -> None:
    ship(host, "r1", {"a.py": GOOD.format("a")})
    staging = stage(host, "r2", {"a.py": GOOD.format("a"), "broken.py": BROKEN})
    with pytest.raises(DeployError) as refused:
        deploy_folder(host.airflow, host.releases, host.live, "r2", 5, staging=staging, label="/ctl/dags", host="a1")
    assert str(refused.value) == (
        "Airflow cannot import 1 file(s) of /ctl/dags: broken.py: RuntimeError: fails to import on purpose. "
        "Run the DAG tests (make dags-test) to see the full traceback."
    )
    assert refused.value.result["dags"] == ["a"] and list(refused.value.result["import_errors"]) == [
        str(host.releases / "r2/broken.py")
    ]
    assert os.readlink(host.live) == str(host.releases / "r1") and history(host) == ["r1"]
    assert sorted(p.name for p in host.releases.iterdir()) == ["history.json", "r1"]


def test_a_release_without_a_dag_is_refused(host) -> None:
    staging = stage(host, "r1", {"helpers.py": "VALUE = 1\n"})
    with pytest.raises(DeployError, match=r"Airflow found no DAG in release r1 \(helpers.py\).*on air01 are unchanged"):
        deploy_folder(host.airflow, host.releases, host.live, "r1", 5, staging=staging, host="air01")
    assert host.live.is_dir() and not host.live.is_symlink() and list(host.releases.iterdir()) == []


def test_when_airflow_cannot_serialize_the_release_the_one_before_stays_live(host) -> None:
    ship(host, "r1", {"a.py": GOOD.format("a")})
    host.airflow.fail_serialize = True
    with pytest.raises(RuntimeError):
        ship(host, "r2", {"b.py": GOOD.format("b")})
    assert os.readlink(host.live) == str(host.releases / "r1") and history(host) == ["r1"]


def test_the_last_keep_releases_stay_and_older_ones_and_aborted_stagings_go(host) -> None:
    for n in range(1, 5):
        ship(host, f"r{n}", {"a.py": GOOD.format(f"a{n}")}, keep=3)
    (host.releases / ".incoming-aborted").mkdir()
    done = ship(host, "r5", {"a.py": GOOD.format("a5")}, keep=3)
    assert done.history == ["r3", "r4", "r5"] and done.removed == [".incoming-aborted", "r2"]
    assert sorted(p.name for p in host.releases.iterdir()) == ["history.json", "r3", "r4", "r5"]


def test_a_rollback_returns_to_the_release_before_and_drops_the_live_one(host) -> None:
    ship(host, "r1", {"a.py": GOOD.format("a")})
    ship(host, "r2", {"b.py": GOOD.format("b")})
    plan = folder_plan(host.releases, host.live, "", 5, True)
    assert (plan.target, plan.present, plan.dags, plan.activate, plan.history_next) == ("r1", True, ["a"], True, ["r1"])
    done = deploy_folder(host.airflow, host.releases, host.live, "r1", 5, rollback=True)
    assert done.activated and done.dags == ["a"] and done.previous == "r2" and done.history == ["r1"]
    assert os.readlink(host.live) == str(host.releases / "r1") and not (host.releases / "r2").exists()
    assert folder_plan(host.releases, host.live, "", 5, True).target == ""  # nothing before r1
    with pytest.raises(DeployError, match="not the one before the live one"):
        deploy_folder(host.airflow, host.releases, host.live, "r9", 5, rollback=True)


def test_dags_placed_by_hand_become_a_release_that_rollback_returns_to(host) -> None:
    (host.live / "by_hand.py").write_text(GOOD.format("by_hand"))
    assert folder_plan(host.releases, host.live, "r1", 5, False).live_plain
    host.releases.mkdir()
    staging = stage(host, "r1", {"a.py": GOOD.format("a")})
    done = deploy_folder(host.airflow, host.releases, host.live, "r1", 5, staging=staging, stamp="20261123T213005")
    assert done.adopted == "unmanaged-20261123T213005" and done.history == [done.adopted, "r1"]
    assert (host.releases / done.adopted / "by_hand.py").is_file()
    back = deploy_folder(host.airflow, host.releases, host.live, done.adopted, 5, rollback=True)
    assert back.activated and back.dags == [] and os.readlink(host.live) == str(host.releases / done.adopted)


def test_a_plain_dags_folder_is_put_back_when_airflow_cannot_take_the_release(host) -> None:
    (host.live / "by_hand.py").write_text(GOOD.format("by_hand"))
    host.airflow.fail_serialize = True
    with pytest.raises(RuntimeError):
        ship(host, "r1", {"a.py": GOOD.format("a")})
    assert host.live.is_dir() and not host.live.is_symlink() and (host.live / "by_hand.py").is_file()


def test_a_release_left_without_a_manifest_is_shipped_again(host) -> None:
    (host.releases / "r1").mkdir(parents=True)  # an interrupted deploy
    (host.releases / "r1/partial.py").write_text("")
    assert not folder_plan(host.releases, host.live, "r1", 5, False).present
    done = ship(host, "r1", {"a.py": GOOD.format("a")})
    assert done.activated and sorted(p.name for p in (host.releases / "r1").iterdir()) == [".mlops-dags.json", "a.py"]


def test_a_release_that_is_not_on_the_host_needs_its_files(host) -> None:
    with pytest.raises(DeployError, match="is not in"):
        deploy_folder(host.airflow, host.releases, host.live, "r1", 5)


def test_an_unreadable_history_stops_the_deploy_before_anything_changes(host) -> None:
    host.releases.mkdir()
    (host.releases / "history.json").write_text("[not json")
    with pytest.raises(DeployError, match="is not valid JSON"):
        folder_plan(host.releases, host.live, "r1", 5, False)


def test_the_real_airflow_is_imported_only_when_used_and_a_failed_import_leaves_nothing(host) -> None:
    # Airflow is not installed here: the parse fails on its import, and the staged release goes.
    staging = stage(host, "r1", {"a.py": GOOD.format("a")})
    with pytest.raises(ImportError):
        deploy_folder(Airflow(), host.releases, host.live, "r1", 5, staging=staging)
    assert list(host.releases.iterdir()) == [] and host.live.is_dir()


# ---------------------------------------------------------------------------------------------------------------------
# git_bundle


def sh(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def bundle(tmp_path: Path) -> SimpleNamespace:
    return make_bundle(tmp_path)


def make_bundle(tmp_path: Path) -> SimpleNamespace:
    """A bare repository with three tagged commits: a (stay, gone), b (stay, new) and broken (stay, broken)."""
    repo, work = tmp_path / "dags.git", tmp_path / "work"
    sh("git", "init", "-q", "--bare", str(repo))
    sh("git", "init", "-q", "-b", "main", str(work))
    commits = {}
    for name, files in {
        "a": {"stay.py": GOOD.format("stay"), "gone.py": GOOD.format("gone")},
        "b": {"stay.py": GOOD.format("stay"), "new.py": GOOD.format("new")},
        "broken": {"stay.py": GOOD.format("stay"), "bnd_broken.py": BROKEN},
    }.items():
        for old in work.glob("*.py"):
            old.unlink()
        for filename, text in files.items():
            (work / filename).write_text(text)
        sh("git", "add", "-A", cwd=work)
        sh("git", "commit", "-q", "-m", name, cwd=work)
        sh("git", "tag", f"release-{name}", cwd=work)
        commits[name] = sh("git", "rev-parse", "HEAD", cwd=work)
    sh("git", "push", "-q", str(repo), "--tags", cwd=work)
    airflow = FakeAirflow(repo=repo)
    tracking = tmp_path / "dag-bundles/dags-git/tracking_repo"
    airflow.settings["dags-git"] = BundleSettings(f"file://{repo}", "live", "", str(tracking))
    return SimpleNamespace(repo=repo, commits=commits, airflow=airflow, tracking=tracking)


def bundle_deploy(bundle: SimpleNamespace, name: str, rollback: bool = False) -> dags.Outcome:
    return deploy_bundle(bundle.airflow, "dags-git", bundle.repo, "live", bundle.commits[name], 5, rollback, host="a1")


def test_a_tag_resolves_to_its_commit_and_an_unknown_name_to_nothing(bundle, tmp_path) -> None:
    assert resolve(bundle.repo, "release-a") == bundle.commits["a"]
    assert resolve(bundle.repo, "nope") == "" and resolve(bundle.repo, "--help") == ""
    assert resolve(tmp_path / "missing.git", "release-a") == ""
    plan = bundle_plan(bundle.repo, "live", "release-a", 5, False)
    assert (plan.live, plan.target, plan.activate, plan.history) == ("", bundle.commits["a"], True, [])


def test_a_commit_goes_live_after_airflow_parsed_it_and_the_history_records_its_dags(bundle) -> None:
    bundle.tracking.mkdir(parents=True)  # cloned by Airflow while the branch did not exist: it must go
    done = bundle_deploy(bundle, "a")
    assert done.activated and done.dags == ["gone", "stay"] and done.previous == ""
    assert dags.branch_head(bundle.repo, "live") == bundle.commits["a"] and not bundle.tracking.exists()
    assert bundle.airflow.serialized == [bundle.commits["a"]]  # the branch had moved when Airflow serialized
    bundle.tracking.mkdir(parents=True)
    done = bundle_deploy(bundle, "b")
    assert done.previous == bundle.commits["a"] and bundle.tracking.is_dir()  # a working clone stays
    assert json.loads((bundle.repo / "mlops-history.json").read_text()) == [
        {"commit": bundle.commits["a"], "dags": ["gone", "stay"]},
        {"commit": bundle.commits["b"], "dags": ["new", "stay"]},
    ]
    plan = bundle_plan(bundle.repo, "live", bundle.commits["b"], 5, False)
    assert (plan.live, plan.dags, plan.activate) == (bundle.commits["b"], ["new", "stay"], False)
    bundle.airflow.parsed.clear()
    again = bundle_deploy(bundle, "b")  # what is live: Airflow is not asked
    assert not again.activated and again.dags == ["new", "stay"] and bundle.airflow.parsed == []


def test_a_commit_that_does_not_import_is_refused_and_the_branch_stays(bundle) -> None:
    bundle_deploy(bundle, "b")
    with pytest.raises(DeployError) as refused:
        bundle_deploy(bundle, "broken")
    assert str(refused.value) == (
        f"Airflow cannot import 1 file(s) of commit {bundle.commits['broken']}: bnd_broken.py: RuntimeError: fails "
        "to import on purpose. Run the DAG tests (make dags-test) to see the full traceback."
    )
    assert dags.branch_head(bundle.repo, "live") == bundle.commits["b"]
    assert [e["commit"] for e in dags.bundle_history(bundle.repo)] == [bundle.commits["b"]]


def test_a_bundle_airflow_does_not_track_there_is_refused(bundle) -> None:
    bundle.airflow.settings["dags-git"] = BundleSettings("file:///elsewhere.git", "live")
    with pytest.raises(DeployError, match=r"does not track branch live of .*repo_url file:///elsewhere\.git"):
        bundle_deploy(bundle, "a")
    bundle.airflow.settings.clear()
    with pytest.raises(DeployError, match="repo_url unset, tracking_ref None"):
        bundle_deploy(bundle, "a")
    assert dags.branch_head(bundle.repo, "live") == ""


def test_when_airflow_cannot_serialize_the_commit_the_branch_moves_back(bundle) -> None:
    bundle.airflow.fail_serialize = True
    with pytest.raises(RuntimeError):
        bundle_deploy(bundle, "a")
    assert dags.branch_head(bundle.repo, "live") == ""  # there was no branch: there is none again
    bundle.airflow.fail_serialize = False
    bundle_deploy(bundle, "a")
    bundle.airflow.fail_serialize = True
    with pytest.raises(RuntimeError):
        bundle_deploy(bundle, "b")
    assert dags.branch_head(bundle.repo, "live") == bundle.commits["a"]


def test_a_rollback_moves_the_branch_back_to_the_commit_before(bundle) -> None:
    bundle_deploy(bundle, "a")
    bundle_deploy(bundle, "b")
    plan = bundle_plan(bundle.repo, "live", "", 5, True)
    assert (plan.target, plan.dags, plan.activate) == (bundle.commits["a"], ["gone", "stay"], True)
    done = bundle_deploy(bundle, "a", rollback=True)
    assert done.activated and done.history == [bundle.commits["a"]]
    assert dags.branch_head(bundle.repo, "live") == bundle.commits["a"]
    assert bundle_plan(bundle.repo, "live", "", 5, True).target == ""
    with pytest.raises(DeployError, match="not the one before the live one"):
        bundle_deploy(bundle, "b", rollback=True)


def test_links_that_leave_the_dag_source_or_dangle_are_named_and_inner_ones_are_not(tmp_path):
    source = tmp_path / "dags"
    (source / "lib").mkdir(parents=True)
    (source / "etl.py").write_text("x = 1\n")
    (source / "lib/helpers.py").write_text("y = 2\n")
    (source / "alias.py").symlink_to("etl.py")
    (source / "shared").symlink_to("lib")
    (source / "shadow").symlink_to("/etc/shadow")
    (source / "lib/up.py").symlink_to("../../outside.py")
    (tmp_path / "outside.py").write_text("z = 3\n")
    (source / "gone.py").symlink_to("missing.py")
    assert escaping_links(str(source)) == [
        "gone.py -> missing.py",
        "lib/up.py -> ../../outside.py",
        "shadow -> /etc/shadow",
    ]
