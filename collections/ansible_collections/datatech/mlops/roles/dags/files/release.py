"""A DAG release in one Airflow process, so Airflow's import time is paid once per deploy.

  release.py ship STAGING RELEASE LIVE HISTORY
      parse the staged files as the DAG processor does (BundleDagBag); when every file imports and there is a DAG,
      write the manifest, move STAGING to RELEASE and activate it (below), unless LIVE is still a plain folder
  release.py activate RELEASE LIVE HISTORY
      point LIVE at RELEASE (one rename), serialize the bundle to the metadata database as `airflow dags reserialize`
      does (so the API lists it at once), record HISTORY (a JSON list of release ids, the live one last) in
      history.json beside the releases and remove every other release directory

The last line printed is JSON: {"dags": [...], "errors": {file: traceback}, "activated": bool, "parsed_at": iso}.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = ".mlops-dags.json"


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


def serialize(live: Path) -> str:
    """Airflow's own reserialization of the bundle whose path is the DAGs folder; returns when it started (UTC)."""
    from airflow.dag_processing.bundles.base import unpack_bundle_version
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    started = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "")
    manager = DagBundlesManager()
    bundles = [b for b in manager.get_all_dag_bundles() if Path(str(b.path)) == live]
    if not bundles:
        raise SystemExit(f"no DAG bundle of Airflow reads {live}: check dag_bundle_config_list in airflow.cfg")
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


def main(argv: list[str]) -> dict[str, object]:
    action, *args = argv
    if (action, len(args)) not in (("ship", 4), ("activate", 3)):
        raise SystemExit(__doc__)
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
        answer["parsed_at"] = serialize(live)
    except BaseException:
        if before is not None:
            point(live, before)  # Airflow could not take the release: the one before stays live
        raise
    answer["activated"] = True
    record(release.parent, history)
    return answer


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
