"""DAG delivery (role dags, modules dags_release and dags_release_info, filters dags_*): what a deploy decides, and
what it does on the Airflow host.

Two deliveries share the decisions. ``folder``: a release is a directory under the releases directory named by the
digest of its files, Airflow's DAGs folder a symlink to the live one, the history a JSON list of release ids in
``history.json`` beside them. ``git_bundle``: a release is a commit of a bare repository whose branch Airflow's
GitDagBundle tracks, the history ``mlops-history.json`` in that repository (each commit with its DAG ids).

Everything but the ``Airflow`` class is plain Python and unit-tested; ``Airflow`` imports Airflow inside its methods,
so these utilities load on any host (and in the unit tests) and only a deploy that changes something pays for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# File in every folder release naming the DAG ids Airflow found in it at the import check.
MANIFEST = ".mlops-dags.json"
FOLDER_HISTORY = "history.json"
BUNDLE_HISTORY = "mlops-history.json"
# Airflow's name for the bundle of a plain DAGs folder, as the DAG processor parses it.
FOLDER_BUNDLE = "dags-folder"
ADOPTED_PREFIX = "unmanaged-"

# The options both delivery modules take (doc fragment datatech.mlops.dags_release), and what each delivery needs.
RELEASE_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "delivery": {"type": "str", "choices": ["folder", "git_bundle"], "default": "folder"},
    "rollback": {"type": "bool", "default": False},
    "keep": {"type": "int", "default": 5},
    "releases_dir": {"type": "path"},
    "live_dir": {"type": "path"},
    "bundle_repo": {"type": "path"},
    "bundle_ref": {"type": "str", "default": "live"},
}
RELEASE_REQUIRED_IF = [
    ("delivery", "folder", ("releases_dir", "live_dir")),
    ("delivery", "git_bundle", ("bundle_repo",)),
]


class DeployError(Exception):
    """The deploy cannot go on; nothing live was changed. The message says why and what to do."""

    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.result = result


# ---------------------------------------------------------------------------------------------------------------------
# Decisions


def next_history(history: list[str], release: str, keep: int, rollback: bool = False, adopted: str = "") -> list[str]:
    """The history once `release` is live: it ends with it and holds at most `keep` releases (the rest are removed).

    A rollback drops the live release (the last one); DAGs adopted from a plain DAGs folder become the release
    before the new one, so a rollback returns to them."""
    kept = list(history[:-1] if rollback else history)
    if adopted:
        kept.append(adopted)
    kept = [entry for entry in kept if entry != release] + [release]
    return kept[-keep:]


def rollback_target(history: list[str]) -> str:
    """The release before the live one; empty when there is none."""
    return history[-2] if len(history) >= 2 else ""


def activation_needed(live: str, release: str, history: list[str]) -> bool:
    """Whether `release` must be made live: the link (or tracked branch) names another, or the history does not end
    with it (an earlier run stopped between the switch and the record)."""
    return bool(release) and (live != release or history[-1:] != [release])


def last_line(text: str) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1].strip() if lines else ""


def error_lines(errors: Mapping[str, str], root: str = "") -> list[str]:
    """One line per broken file, sorted: its path (relative to `root` when under it) and its traceback's last line."""
    lines = []
    for path in sorted(errors):
        shown = os.path.relpath(path, root) if root and path.startswith(root.rstrip("/") + "/") else path
        lines.append(f"{shown}: {last_line(errors[path])}")
    return lines


def refusal(dags: list[str], errors: Mapping[str, str], what: str, files: list[str], host: str, root: str = "") -> str:
    """Why Airflow's import check refuses a release ('' when it does not): each broken file, or no DAG at all."""
    if errors:
        return (
            f"Airflow cannot import {len(errors)} file(s) of {what}: {'; '.join(error_lines(errors, root))}. "
            "Run the DAG tests (make dags-test) to see the full traceback."
        )
    if not dags:
        return (
            f"Airflow found no DAG in {what} ({', '.join(files) or 'no .py file'}). Files need `airflow` and `dag` in "
            f"them to be parsed; the live DAGs on {host} are unchanged."
        )
    return ""


def api_readiness(
    api_dags: Iterable[Mapping[str, Any]],
    expected: Iterable[str],
    parsed_after: str = "",
    bundle: str = "",
    version: str = "",
) -> dict[str, list[str]]:
    """What Airflow's API (GET /api/v2/dags) does not show yet of a live release.

    ``not_ready``: expected DAG ids the API does not list as active, free of import errors and parsed at or after
    `parsed_after` (UTC, ISO; empty: any time) - with a `bundle`, from that bundle at `version`. ``unexpected``: with
    a `bundle`, DAGs it still lists as active from that bundle that the release does not define."""
    wanted = list(expected)
    listed = [d for d in api_dags if not d.get("is_stale") and not d.get("has_import_errors")]
    active = [d for d in listed if d.get("bundle_name") == bundle] if bundle else listed
    # Airflow's times are ISO strings in UTC: compared as strings, as the API sends them.
    parsed = [d for d in active if d.get("last_parsed_time") is not None and d["last_parsed_time"] >= parsed_after]
    current = {d["dag_id"] for d in parsed if not bundle or d.get("bundle_version") == version}
    seen = {d["dag_id"] for d in active}
    return {
        "not_ready": [dag for dag in wanted if dag not in current],
        "unexpected": sorted(seen - set(wanted)) if bundle else [],
    }


def api_import_errors(import_errors: Iterable[Mapping[str, Any]]) -> list[str]:
    """Airflow's import errors (GET /api/v2/importErrors) as lines: each file and its traceback's last line."""
    return [f"{e.get('filename', '?')}: {last_line(str(e.get('stack_trace', '')))}" for e in import_errors]


def task_states(task_instances: Iterable[Mapping[str, Any]]) -> str:
    """The tasks of a DAG run and their states, as `task=state, ...`."""
    return ", ".join(f"{t.get('task_id')}={t.get('state')}" for t in task_instances)


def escaping_links(source: str) -> list[str]:
    """Symbolic links under a DAG source that point outside it (or dangle), as `path -> target`: shipped, they would
    hand Airflow files from elsewhere on the host; a link inside the tree is fine."""
    root = Path(source).resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            if not path.is_symlink():
                continue
            target = path.resolve()
            if not target.exists() or (target != root and root not in target.parents):
                found.append(f"{path.relative_to(root)} -> {os.readlink(path)}")
    return sorted(found)


def utc_now() -> str:
    """Now in UTC to the second, as Airflow's API writes times (without the zone)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "")


# ---------------------------------------------------------------------------------------------------------------------
# Files on the host


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default
    except ValueError as exc:
        raise DeployError(f"{path} is not valid JSON ({exc}): fix or remove it; nothing was changed.") from exc


def write_json(path: Path, data: Any) -> None:
    """Written next to its place and renamed over it: readers see the old or the new file, never half of one."""
    temporary = path.with_name(f".{path.name}.next")
    temporary.write_text(json.dumps(data) + "\n")
    temporary.replace(path)


def linked_release(live: Path, releases: Path) -> str:
    """The release the DAGs folder link names ('' when it is no link, or names something else)."""
    if not live.is_symlink():
        return ""
    target = Path(os.readlink(live))
    return target.name if target.parent == releases else ""


def release_dags(release: Path) -> list[str]:
    """DAG ids the import check recorded in a release (none known for DAGs adopted from a plain folder)."""
    return list(read_json(release / MANIFEST, []))


def point(live: Path, release: Path) -> None:
    """The DAGs folder link names the release: one rename, so readers see the old or the new one, never a mix."""
    if live.is_symlink() and os.readlink(live) == str(release):
        return
    temporary = live.with_name(f".{live.name}.next")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(release)
    temporary.replace(live)


def adopt(live: Path, releases: Path, stamp: str) -> str:
    """A plain DAGs folder (from before delivery) makes way for the link: its files, if any, become the release
    unmanaged-<stamp>, which rollback can return to. Returns that release's name ('' for an empty folder)."""
    if not live.is_dir() or live.is_symlink():
        return ""
    if not any(live.iterdir()):
        live.rmdir()
        return ""
    name = ADOPTED_PREFIX + stamp
    live.rename(releases / name)
    return name


def restore_adopted(live: Path, releases: Path, adopted: str) -> None:
    """The plain DAGs folder back where it was, after an activation Airflow did not take."""
    if live.is_symlink():
        live.unlink()
    (releases / adopted).rename(live)


def record(releases: Path, history: list[str]) -> list[str]:
    """The history file names the kept releases; any other directory there (older releases, aborted stagings)
    goes. Returns what was removed; what cannot be (a file the Airflow user may not delete) is left, not fatal."""
    write_json(releases / FOLDER_HISTORY, history)
    kept, removed = set(history), []
    for entry in sorted(releases.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and entry.name not in kept:
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry.name)
    return removed


def py_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.py"))


# ---------------------------------------------------------------------------------------------------------------------
# Git (git_bundle)


def git(repo: Path, *args: str, check: bool = True, data: bool = False) -> subprocess.CompletedProcess:
    """git on the bare repository; --git-dir names it, so no repository discovery (nor its ownership check) runs."""
    done = subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, text=not data, check=False)
    if check and done.returncode != 0:
        stderr = done.stderr if isinstance(done.stderr, str) else done.stderr.decode(errors="replace")
        raise DeployError(f"git {' '.join(args)} failed in {repo}: {' '.join(stderr.split())[-400:]}")
    return done


def resolve(repo: Path, rev: str) -> str:
    """The full commit id of a commit, tag or branch of the repository; '' when it has none by that name."""
    if not rev or not (repo / "HEAD").is_file():
        return ""
    done = git(repo, "rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def branch_head(repo: Path, ref: str) -> str:
    """The commit the branch names; '' before the first deploy creates it."""
    return resolve(repo, f"refs/heads/{ref}")


def bundle_history(repo: Path) -> list[dict[str, Any]]:
    """The recorded deploys of the bundle, oldest first: [{commit, dags}], the live commit last."""
    return list(read_json(repo / BUNDLE_HISTORY, []))


def record_bundle(repo: Path, history: list[str], dags: Mapping[str, list[str]]) -> None:
    write_json(repo / BUNDLE_HISTORY, [{"commit": commit, "dags": list(dags.get(commit, []))} for commit in history])


def move_branch(repo: Path, ref: str, commit: str, before: str) -> None:
    """The branch names `commit` if it still names `before` (compare-and-swap; '' before: it must not exist yet)."""
    git(repo, "update-ref", f"refs/heads/{ref}", commit, before)


def restore_branch(repo: Path, ref: str, commit: str, before: str) -> None:
    """The branch back at `before`, or gone again when there was none."""
    if before:
        git(repo, "update-ref", f"refs/heads/{ref}", before, commit)
    else:
        git(repo, "update-ref", "-d", f"refs/heads/{ref}", commit)


def unpack(repo: Path, commit: str, dest: str) -> None:
    archive = git(repo, "archive", commit, data=True)
    subprocess.run(["tar", "-x", "-C", dest], input=archive.stdout, check=True, capture_output=True)


def same_path(url: str, repo: Path) -> bool:
    path = url[len("file://") :] if url.startswith("file://") else url
    return bool(path) and Path(path).resolve() == repo.resolve()


# ---------------------------------------------------------------------------------------------------------------------
# Airflow, imported only when called


@dataclass
class BundleSettings:
    """What airflow.cfg's dag_bundle_config_list says of one GitDagBundle."""

    repo_url: str = ""
    tracking_ref: str = ""
    subdir: str = ""
    # GitDagBundle's clone that follows the branch: <dag_bundle_storage_path>/<name>/tracking_repo.
    tracking_path: str = ""


class Airflow:
    """What a deploy asks of the Airflow installation whose Python runs it (AIRFLOW_HOME and AIRFLOW_CONFIG set)."""

    def parse(self, folder: Path, bundle_name: str) -> tuple[list[str], dict[str, str]]:
        """DAG ids and import errors ({file: traceback}) of the files, parsed as the DAG processor parses them."""
        from airflow.dag_processing.dagbag import BundleDagBag

        bag = BundleDagBag(dag_folder=folder, bundle_path=folder, bundle_name=bundle_name)
        return sorted(bag.dag_ids), {str(k): str(v) for k, v in bag.import_errors.items()}

    def parse_scratch(self, folder: Path, bundle_name: str) -> tuple[list[str], dict[str, str]]:
        """parse() of files in a scratch directory: what they imported is forgotten afterwards."""
        scratch = str(folder)
        try:
            return self.parse(folder, bundle_name)
        finally:
            sys.path[:] = [p for p in sys.path if not p.startswith(scratch)]
            for name, module in list(sys.modules.items()):
                if (getattr(module, "__file__", None) or "").startswith(scratch):
                    del sys.modules[name]

    def bundle(self, name: str) -> BundleSettings | None:
        from airflow.dag_processing.bundles.manager import DagBundlesManager

        try:
            bundle = DagBundlesManager().get_bundle(name)
        except ValueError:
            return None
        return BundleSettings(
            repo_url=str(getattr(bundle, "repo_url", "") or ""),
            tracking_ref=str(getattr(bundle, "tracking_ref", "") or ""),
            subdir=str(getattr(bundle, "subdir", "") or ""),
            tracking_path=str(getattr(bundle, "repo_path", "") or ""),
        )

    def serialize(self, selected: Callable[[Any], bool], what: str) -> str:
        """Airflow's own reserialization of the selected bundles (`airflow dags reserialize`); returns when it
        started (UTC). Each bundle's version is recorded as a DAG processor records a refresh, so the running
        processor, which compares that record with its own, takes the new version at its next check instead of
        after refresh_interval; DAGs whose files the release no longer has stop being listed now."""
        from airflow.dag_processing.bundles.base import unpack_bundle_version
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
        from airflow.models.dag import DagModel
        from airflow.models.dagbundle import DagBundleModel
        from airflow.utils.session import create_session
        from sqlalchemy import update

        started = utc_now()
        manager = DagBundlesManager()
        bundles = [b for b in manager.get_all_dag_bundles() if selected(b)]
        if not bundles:
            raise DeployError(f"no DAG bundle of Airflow {what}: check dag_bundle_config_list in airflow.cfg")
        with create_session() as session:
            manager.sync_bundles_to_db(session=session)
            session.commit()
            for bundle in bundles:
                bundle.initialize()
                bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
                version, version_data = unpack_bundle_version(bundle.get_current_version(), bundle)
                sync_bag_to_db(bag, bundle.name, bundle_version=version, version_data=version_data, session=session)
                present = {dag.relative_fileloc for dag in bag.dags.values()}
                DagModel.deactivate_deleted_dags(bundle.name, present, session=session)
                if version is not None:
                    session.execute(
                        update(DagBundleModel).where(DagBundleModel.name == bundle.name).values(version=version)
                    )
        return started


# ---------------------------------------------------------------------------------------------------------------------
# Plans (read only) and deploys


@dataclass
class Plan:
    """What is live, and what a deploy would make live; dags_release_info returns it."""

    delivery: str
    history_file: str
    history: list[str]
    live: str
    target: str
    present: bool
    dags: list[str]
    activate: bool
    history_next: list[str]
    live_plain: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def folder_plan(releases: Path, live: Path, release: str, keep: int, rollback: bool) -> Plan:
    history = [str(entry) for entry in read_json(releases / FOLDER_HISTORY, [])]
    linked = linked_release(live, releases)
    target = rollback_target(history) if rollback else release
    checked = bool(target) and (releases / target / MANIFEST).is_file()
    return Plan(
        delivery="folder",
        history_file=str(releases / FOLDER_HISTORY),
        history=history,
        live=linked,
        live_plain=live.is_dir() and not live.is_symlink(),
        target=target,
        # A rollback may return to DAGs adopted from a plain folder, which were never import-checked.
        present=checked or (rollback and bool(target) and (releases / target).is_dir()),
        dags=release_dags(releases / target) if checked else [],
        activate=activation_needed(linked, target, history),
        history_next=next_history(history, target, keep, rollback) if target else history,
    )


def bundle_plan(repo: Path, ref: str, commit: str, keep: int, rollback: bool) -> Plan:
    entries = bundle_history(repo)
    history = [str(entry["commit"]) for entry in entries]
    head = branch_head(repo, ref)
    target = rollback_target(history) if rollback else resolve(repo, commit)
    known = {str(entry["commit"]): list(entry.get("dags", [])) for entry in entries}
    return Plan(
        delivery="git_bundle",
        history_file=str(repo / BUNDLE_HISTORY),
        history=history,
        live=head,
        target=target,
        present=bool(target),
        dags=known.get(target, []),
        activate=activation_needed(head, target, history),
        history_next=next_history(history, target, keep, rollback) if target else history,
    )


@dataclass
class Outcome:
    """What a deploy did; dags_release returns it."""

    release: str
    previous: str
    dags: list[str]
    history: list[str]
    activated: bool = False
    parsed_at: str = ""
    import_errors: dict[str, str] = field(default_factory=dict)
    adopted: str = ""
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def deploy_folder(
    airflow: Airflow,
    releases: Path,
    live: Path,
    release: str,
    keep: int,
    rollback: bool = False,
    staging: Path | None = None,
    label: str = "",
    host: str = "",
    stamp: str = "",
    serialize: bool = True,
) -> Outcome:
    """Makes `release` the live folder release: the staged files (if given) become it once Airflow imports every one
    of them and finds a DAG; a plain DAGs folder is adopted; the link is switched and Airflow serializes the release
    at once; the history is recorded and every release it does not name removed. Airflow runs in this process only.

    Raises DeployError, with the live release unchanged, when Airflow refuses the release or cannot take it.
    serialize=False (a Celery worker, which runs tasks from the files): the release is checked and switched only; the
    scheduler host serializes it."""
    plan = folder_plan(releases, live, release, keep, rollback)
    if rollback and plan.target != release:
        raise DeployError(f"release {release} is not the one before the live one (history: {plan.history})")
    path = releases / release
    outcome = Outcome(release=release, previous=plan.live, dags=plan.dags, history=plan.history)
    if staging is not None and plan.present:
        shutil.rmtree(staging, ignore_errors=True)  # already on the host, checked
    elif staging is not None:
        if path.exists():
            shutil.rmtree(path)  # a release without a manifest: left by an interrupted deploy
        # Parsed where it will live: modules the DAGs import are cached with their final paths for serialize().
        staging.rename(path)
        try:
            outcome.dags, outcome.import_errors = airflow.parse(path, FOLDER_BUNDLE)
            what = label or f"release {release}"
            refused = refusal(outcome.dags, outcome.import_errors, what, py_files(path), host, root=str(path))
            if refused:
                raise DeployError(refused, **outcome.as_dict())
            write_json(path / MANIFEST, outcome.dags)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
    elif not path.is_dir():
        raise DeployError(f"release {release} is not in {releases}: ship its files (staging) first")
    if not activation_needed(plan.live, release, plan.history) and not plan.live_plain:
        return outcome
    outcome.adopted = adopt(live, releases, stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
    outcome.history = next_history(plan.history, release, keep, rollback, outcome.adopted)
    before = Path(os.readlink(live)) if live.is_symlink() else None
    point(live, path)
    try:
        if serialize:
            outcome.parsed_at = airflow.serialize(lambda b: Path(str(b.path)) == live, f"reads {live}")
    except BaseException:
        # Airflow could not take the release: what was live before stays live.
        if before is not None:
            point(live, before)
        elif outcome.adopted:
            restore_adopted(live, releases, outcome.adopted)
        raise
    outcome.activated = True
    outcome.removed = record(releases, outcome.history)
    return outcome


def deploy_bundle(
    airflow: Airflow,
    name: str,
    repo: Path,
    ref: str,
    commit: str,
    keep: int,
    rollback: bool = False,
    label: str = "",
    host: str = "",
) -> Outcome:
    """Makes `commit` the head of the branch GitDagBundle `name` tracks, once Airflow parsed it cleanly in a scratch
    directory: the branch moves (compare-and-swap), Airflow serializes the bundle at once and the history records
    the commit with its DAG ids. Raises DeployError, with the branch where it was, when Airflow refuses or fails."""
    plan = bundle_plan(repo, ref, commit, keep, rollback)
    if plan.target != commit:
        raise DeployError(
            f"{commit} is not the commit to make live ({plan.target or 'none'}): "
            + ("it is not the one before the live one" if rollback else "give a full commit id of the repository")
        )
    outcome = Outcome(release=commit, previous=plan.live, dags=plan.dags, history=plan.history)
    if not plan.activate:
        return outcome  # live and recorded: Airflow is not started
    settings = airflow.bundle(name)
    if settings is None or not same_path(settings.repo_url, repo) or settings.tracking_ref != ref:
        raise DeployError(
            f"Airflow's DAG bundle {name} does not track branch {ref} of {repo} "
            f"(repo_url {(settings.repo_url if settings else '') or 'unset'}, tracking_ref "
            f"{settings.tracking_ref if settings else None}): check dag_bundle_config_list in airflow.cfg"
        )
    with tempfile.TemporaryDirectory(prefix="mlops-bundle-check-") as scratch:
        unpack(repo, commit, scratch)
        folder = Path(scratch, settings.subdir)
        outcome.dags, outcome.import_errors = airflow.parse_scratch(folder, name)
        what = label or f"commit {commit}"
        refused = refusal(outcome.dags, outcome.import_errors, what, py_files(folder), host, root=str(folder))
    if refused:
        raise DeployError(refused, **outcome.as_dict())
    before = plan.live
    move_branch(repo, ref, commit, before)
    # A tracking clone Airflow made while the branch did not exist yet never fetches it (it fails to check the branch
    # out on every attempt): it is only a cache of the repository, so it goes and Airflow clones it again.
    tracking = Path(settings.tracking_path) if settings.tracking_path else None
    if not before and tracking is not None and tracking.name == "tracking_repo" and tracking.is_dir():
        shutil.rmtree(tracking)
    try:
        outcome.parsed_at = airflow.serialize(lambda b: b.name == name, f"named {name}")
    except BaseException:
        restore_branch(repo, ref, commit, before)  # Airflow could not take the commit: the one before stays live
        raise
    outcome.activated = True
    outcome.history = next_history(plan.history, commit, keep, rollback)
    known = {str(e["commit"]): list(e.get("dags", [])) for e in bundle_history(repo)}
    known[commit] = outcome.dags
    record_bundle(repo, outcome.history, known)
    return outcome
