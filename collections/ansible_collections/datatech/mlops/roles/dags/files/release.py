"""A DAG release in one Airflow process, so Airflow's import time is paid once per deploy.

  release.py ship STAGING RELEASE LIVE HISTORY
      parse the staged files as the DAG processor does (BundleDagBag); when every file imports and there is a DAG,
      write the manifest, move STAGING to RELEASE and activate it (below), unless LIVE is still a plain folder
  release.py activate RELEASE LIVE HISTORY
      point LIVE at RELEASE (one rename), serialize the bundle to the metadata database as `airflow dags reserialize`
      does (so the API lists it at once), record HISTORY (a JSON list of release ids, the live one last) in
      history.json beside the releases and remove every other release directory
  release.py bundle NAME REPO REF COMMIT HISTORY
      for Airflow's GitDagBundle NAME, which tracks branch REF of the bare repository REPO: parse COMMIT as the DAG
      processor would; when every file imports and there is a DAG, move REF to COMMIT (compare-and-swap), serialize
      the bundle as `airflow dags reserialize --bundle-name NAME` does, record the new version for the DAG processor
      and HISTORY (commits, the live one last) with each commit's DAG ids in REPO/mlops-history.json; REF is moved
      back if serialization fails

The last line printed is JSON: {"dags": [...], "errors": {file: traceback}, "activated": bool, "parsed_at": iso}.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = ".mlops-dags.json"
BUNDLE_HISTORY = "mlops-history.json"


def parse(folder: Path, bundle_name: str) -> tuple[list[str], dict[str, str]]:
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=folder, bundle_path=folder, bundle_name=bundle_name)
    return sorted(bag.dag_ids), dict(bag.import_errors)


def point(live: Path, release: Path) -> None:
    """The DAGs folder link names the release; readers see the old or the new one, never a mix."""
    if live.is_symlink() and os.readlink(live) == str(release):
        return
    temporary = live.with_name(f".{live.name}.next")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(release)
    temporary.replace(live)


def serialize(selected: Callable[[object], bool], what: str) -> str:
    """Airflow's own reserialization of the selected bundles (`airflow dags reserialize`); returns when it started
    (UTC). Each bundle's version is recorded as a DAG processor records a refresh, so the running processor, which
    compares that record with its own, takes the new version at its next check instead of after refresh_interval."""
    from airflow.dag_processing.bundles.base import unpack_bundle_version
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import update

    started = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "")
    manager = DagBundlesManager()
    bundles = [b for b in manager.get_all_dag_bundles() if selected(b)]
    if not bundles:
        raise SystemExit(f"no DAG bundle of Airflow {what}: check dag_bundle_config_list in airflow.cfg")
    with create_session() as session:
        manager.sync_bundles_to_db(session=session)
        session.commit()
        for bundle in bundles:
            bundle.initialize()
            bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
            version, version_data = unpack_bundle_version(bundle.get_current_version(), bundle)
            sync_bag_to_db(bag, bundle.name, bundle_version=version, version_data=version_data, session=session)
            # DAGs whose files the release no longer has stop being listed now, not at the processor's next scan.
            present = {dag.relative_fileloc for dag in bag.dags.values()}
            DagModel.deactivate_deleted_dags(bundle.name, present, session=session)
            if version is not None:
                session.execute(
                    update(DagBundleModel).where(DagBundleModel.name == bundle.name).values(version=version)
                )
    return started


def record(releases: Path, history: list[str]) -> None:
    """The history file names the kept releases; anything else there (older releases, aborted stagings) goes."""
    kept = set(history)
    temporary = releases / ".history.json.next"
    temporary.write_text(json.dumps(history) + "\n")
    temporary.replace(releases / "history.json")
    for entry in releases.iterdir():
        if entry.is_dir() and not entry.is_symlink() and entry.name not in kept:
            # Best effort: a file the Airflow user may not delete must not fail a deploy that is already live.
            shutil.rmtree(entry, onerror=lambda _f, path, exc: print(f"not removed: {path}: {exc[1]}", file=sys.stderr))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True).stdout


def check_commit(repo: Path, commit: str, subdir: str | None, bundle_name: str) -> tuple[list[str], dict[str, str]]:
    """The commit's files, parsed in a scratch directory; what they imported is forgotten afterwards."""
    archive = subprocess.run(["git", "--git-dir", str(repo), "archive", commit], check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="mlops-bundle-check-") as scratch:
        subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
        folder = Path(scratch, subdir or "")
        try:
            return parse(folder, bundle_name)
        finally:
            sys.path[:] = [p for p in sys.path if not p.startswith(scratch)]
            for name, module in list(sys.modules.items()):
                if (getattr(module, "__file__", None) or "").startswith(scratch):
                    del sys.modules[name]


def move_bundle(name: str, repo: Path, ref: str, commit: str, history: list[str]) -> dict[str, object]:
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    bundle = DagBundlesManager().get_bundle(name)
    tracked = str(getattr(bundle, "repo_url", "") or "").removeprefix("file://")
    if not tracked or Path(tracked).resolve() != repo.resolve() or getattr(bundle, "tracking_ref", None) != ref:
        raise SystemExit(
            f"Airflow's DAG bundle {name} does not track branch {ref} of {repo} (repo_url {tracked or 'unset'}, "
            f"tracking_ref {getattr(bundle, 'tracking_ref', None)}): check dag_bundle_config_list in airflow.cfg"
        )
    dags, errors = check_commit(repo, commit, getattr(bundle, "subdir", None), name)
    answer: dict[str, object] = {"dags": dags, "errors": errors, "activated": False}
    if errors or not dags:
        return answer
    before = subprocess.run(
        ["git", "--git-dir", str(repo), "rev-parse", "-q", "--verify", f"refs/heads/{ref}"],
        capture_output=True,
        text=True,
        check=False,  # no branch yet: the first deploy creates it
    ).stdout.strip()
    git(repo, "update-ref", f"refs/heads/{ref}", commit, before)
    # A tracking clone Airflow made while the branch did not exist yet never fetches it (it fails to check the branch
    # out on every attempt): it is only a cache of the repository, so it goes and Airflow clones it again.
    tracking = Path(bundle.repo_path)  # GitDagBundle's <dag_bundle_storage_path>/<name>/tracking_repo
    if not before and tracking.name == "tracking_repo" and tracking.is_dir():
        shutil.rmtree(tracking)
    try:
        answer["parsed_at"] = serialize(lambda b: b.name == name, f"named {name}")
    except BaseException:
        # Airflow could not take the commit: the branch names the one before again (or nothing, as before).
        git(repo, "update-ref", *([f"refs/heads/{ref}", before] if before else ["-d", f"refs/heads/{ref}", commit]))
        raise
    answer["activated"] = True
    history_file = repo / BUNDLE_HISTORY
    known = {e["commit"]: e["dags"] for e in json.loads(history_file.read_text())} if history_file.exists() else {}
    known[commit] = dags
    temporary = repo / f".{BUNDLE_HISTORY}.next"
    temporary.write_text(json.dumps([{"commit": c, "dags": known.get(c, [])} for c in history]) + "\n")
    temporary.replace(history_file)
    return answer


def main(argv: list[str]) -> dict[str, object]:
    action, *args = argv
    if (action, len(args)) not in (("ship", 4), ("activate", 3), ("bundle", 5)):
        raise SystemExit(__doc__)
    if action == "bundle":
        name, repo, ref, commit, history_json = args
        history_commits: list[str] = json.loads(history_json)
        if not history_commits or history_commits[-1] != commit:
            raise SystemExit(f"the history to record must end with the commit made live ({commit}): {history_commits}")
        return move_bundle(name, Path(repo), ref, commit, history_commits)
    *paths, history_json = args
    release, live = Path(paths[-2]), Path(paths[-1])
    history: list[str] = json.loads(history_json)
    if not history or history[-1] != release.name:
        raise SystemExit(f"the history to record must end with the release made live ({release.name}): {history}")
    if action == "ship":
        # Parsed where it will live: modules the DAGs import are cached with their final paths for serialize().
        if release.exists():
            shutil.rmtree(release)  # a release without a manifest: left by an interrupted deploy
        Path(paths[0]).rename(release)
        dags, errors = parse(release, "dags-folder")
        answer: dict[str, object] = {"dags": dags, "errors": errors, "activated": False}
        if errors or not dags:
            release.rename(paths[0])  # back to staging, which the role removes
            return answer
        (release / MANIFEST).write_text(json.dumps(dags) + "\n")
        if live.exists() and not live.is_symlink():
            return answer  # a plain folder from before delivery: the role keeps its files as a release first
    else:
        manifest = release / MANIFEST  # releases adopted from a plain folder have none: nothing to expect
        dags = json.loads(manifest.read_text()) if manifest.exists() else []
        answer = {"dags": dags, "errors": {}, "activated": False}
    before = Path(os.readlink(live)) if live.is_symlink() else None
    point(live, release)
    try:
        answer["parsed_at"] = serialize(lambda b: Path(str(b.path)) == live, f"reads {live}")
    except BaseException:
        if before is not None:
            point(live, before)  # Airflow could not take the release: the one before stays live
        raise
    answer["activated"] = True
    record(release.parent, history)
    return answer


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
