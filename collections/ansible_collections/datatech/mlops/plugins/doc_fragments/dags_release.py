"""Options the DAG delivery modules share: dags_release_info plans what dags_release then makes live."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  delivery:
    description: How releases reach Airflow - C(folder) release directories and a DAGs folder link, or C(git_bundle)
      commits of a bare repository tracked by a GitDagBundle.
    type: str
    choices: [folder, git_bundle]
    default: folder
  rollback:
    description: Return to the release before the live one, which then leaves the history.
    type: bool
    default: false
  keep:
    description: How many releases the history keeps (the live one and those before it); others are removed.
    type: int
    default: 5
  releases_dir:
    description: C(folder) - directory of the releases and their history (C(history.json)).
    type: path
  live_dir:
    description: C(folder) - Airflow's DAGs folder (its dags_folder), a link to the live release.
    type: path
  bundle_repo:
    description: C(git_bundle) - the bare repository the bundle's repo_url names, which holds the history
      (C(mlops-history.json)).
    type: path
  bundle_ref:
    description: C(git_bundle) - the branch the bundle tracks (its tracking_ref).
    type: str
    default: live
"""
