#!/usr/bin/python
"""Ansible module dags_release_info: what DAG delivery has live on the Airflow host, and what a deploy would change."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dags_release_info
short_description: Read the DAG releases live on an Airflow host and plan a deploy, without changing anything
version_added: "0.3.0"
description:
  - Reads the deployment history, what Airflow's DAGs folder links to (O(delivery=folder)) or the commit of the
    branch a GitDagBundle tracks (O(delivery=git_bundle)), and says which release a deploy of O(release) (or a
    rollback) would make live, whether that release is already on the host, and whether anything has to change.
  - Never imports Airflow and never changes the host, so a deploy of what is already live ends after this read.
    M(datatech.mlops.dags_release) then makes the planned release live.
  - Runs as any user who can read the releases directory or the bare repository (git runs with C(--git-dir), so
    Git's check of the repository's owner does not apply).
options:
  release:
    description:
      - The release to deploy. C(folder) - its id (the name of its directory under O(releases_dir)).
        C(git_bundle) - a commit, tag or branch of O(bundle_repo), resolved to its full commit id.
      - Ignored with O(rollback=true).
    type: str
    default: ""
extends_documentation_fragment:
  - datatech.mlops.dags_release
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: What is live on the host, and what a deploy of release 3f2a9c1d0b4e would change, is known
  datatech.mlops.dags_release_info:
    release: 3f2a9c1d0b4e
    releases_dir: /var/lib/airflow/dag-releases
    live_dir: /var/lib/airflow/dags
  register: dags_state

- name: The commit a rollback of the git bundle would return to is known
  datatech.mlops.dags_release_info:
    delivery: git_bundle
    rollback: true
    bundle_repo: /var/lib/airflow/dags.git
    bundle_ref: live
  register: dags_state
"""

RETURN = r"""
delivery:
  description: O(delivery).
  returned: always
  type: str
history_file:
  description: The file of the deployment history on the host.
  returned: always
  type: str
  sample: /var/lib/airflow/dag-releases/history.json
history:
  description: Release ids (C(git_bundle) - commits) in the history, oldest first; the last one is live.
  returned: always
  type: list
  elements: str
live:
  description: The release the DAGs folder links to, or the commit the tracked branch names; empty when none.
  returned: always
  type: str
live_plain:
  description: C(folder) - the DAGs folder is a plain directory (from before delivery), not a link yet.
  returned: always
  type: bool
target:
  description: The release a deploy makes live; empty when there is none - a rollback without an earlier release,
    or a C(git_bundle) release that is not a commit of the repository.
  returned: always
  type: str
present:
  description: The target is on the host - C(folder) its import-checked directory (for a rollback, any directory),
    C(git_bundle) its commit in the repository. C(false) means its files must be shipped first.
  returned: always
  type: bool
dags:
  description: DAG ids the target is known to define (recorded at its import check); empty when unknown.
  returned: always
  type: list
  elements: str
activate:
  description: Whether the target has to be made live - the link or branch names another release, or the history
    does not end with it.
  returned: always
  type: bool
history_next:
  description: The history once the target is live (at most O(keep) releases).
  returned: always
  type: list
  elements: str
"""

from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.datatech.mlops.plugins.module_utils.dags import (
    RELEASE_ARGUMENT_SPEC,
    RELEASE_REQUIRED_IF,
    DeployError,
    bundle_plan,
    folder_plan,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **RELEASE_ARGUMENT_SPEC,
            "release": {"type": "str", "default": ""},
        },
        required_if=RELEASE_REQUIRED_IF,
        supports_check_mode=True,
    )
    p = module.params
    if p["keep"] < 1:
        module.fail_json(msg=f"keep must be 1 or more (got {p['keep']})")
    try:
        if p["delivery"] == "folder":
            if not p["rollback"] and not p["release"]:
                module.fail_json(msg="release is required unless rollback is true")
            plan = folder_plan(Path(p["releases_dir"]), Path(p["live_dir"]), p["release"], p["keep"], p["rollback"])
        else:
            plan = bundle_plan(Path(p["bundle_repo"]), p["bundle_ref"], p["release"], p["keep"], p["rollback"])
    except DeployError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **plan.as_dict())


if __name__ == "__main__":
    main()
