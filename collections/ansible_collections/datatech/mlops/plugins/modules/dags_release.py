#!/usr/bin/python
"""Ansible module dags_release: a DAG release import-checked by Airflow on its host, then made live atomically."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dags_release
short_description: Make a DAG release live in Airflow once Airflow on the host imported it cleanly
version_added: "0.3.0"
description:
  - Runs inside Airflow's virtualenv (set C(ansible_python_interpreter) to its Python) as the Airflow user, with
    Airflow's configuration from O(airflow_home) and O(airflow_config). Airflow's import time is paid once - the
    check, the switch and the serialization happen in this one process - and only when something changes.
  - O(delivery=folder) - the files in O(staging) are parsed by Airflow as the DAG processor parses them, where the
    release will live (O(releases_dir)/O(release)). A file that fails to import, or no DAG at all, refuses the
    release (each broken file named with the last line of its traceback) and removes it, the live release untouched.
    A clean release gets a manifest of its DAG ids, Airflow's DAGs folder O(live_dir) becomes a link to it with one
    rename (a plain DAGs folder from before delivery is kept as the release C(unmanaged-<UTC time>) first), and
    Airflow serializes it to the metadata database as C(airflow dags reserialize) does, so the API lists its DAGs at
    once. The history (C(history.json)) then names the last O(keep) releases and every other release directory goes.
  - O(delivery=git_bundle) - O(release) is a commit of the bare repository O(bundle_repo) whose branch O(bundle_ref)
    the GitDagBundle O(bundle_name) tracks (refused when airflow.cfg says otherwise). The commit is parsed in a
    scratch directory; a clean one becomes the branch's head (compare-and-swap), Airflow serializes the bundle,
    deactivates the DAGs the commit removed and records the new bundle version for the running DAG processor, and
    C(mlops-history.json) records the commit with its DAG ids. If Airflow cannot take it the branch moves back.
  - O(rollback=true) makes the release before the live one live again (it must be O(release)); the live one leaves
    the history.
  - A release that is already live with the history ending with it changes nothing and starts no Airflow. In check
    mode nothing is parsed or changed; the result says what would be.
options:
  release:
    description: The release to make live - C(folder) its id (its directory's name), C(git_bundle) its full commit id
      (M(datatech.mlops.dags_release_info) resolves a tag or branch).
    type: str
    required: true
  staging:
    description:
      - C(folder) - directory on the host (inside O(releases_dir)) with the release's DAG files, owned by the Airflow
        user. It becomes the release, or is removed. Omitted - the release must be on the host already.
    type: path
  bundle_name:
    description: C(git_bundle) - name of the GitDagBundle in airflow.cfg's dag_bundle_config_list.
    type: str
    default: dags-git
  airflow_home:
    description: AIRFLOW_HOME of the installation.
    type: path
    required: true
  airflow_config:
    description: Its airflow.cfg.
    type: path
    required: true
  serialize:
    description:
      - C(folder) - serialize the release to the metadata database after the switch. C(false) on a Celery worker,
        which runs tasks from the files while the scheduler host serializes them (workers serializing at once would
        race each other).
    type: bool
    default: true
  label:
    description: How a refusal names what was checked, for example the DAG directory on the control node; default
      C(release <id>) or C(commit <id>).
    type: str
    default: ""
extends_documentation_fragment:
  - datatech.mlops.dags_release
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: The staged DAGs are the live release, import-checked by Airflow on the host
  datatech.mlops.dags_release:
    release: 3f2a9c1d0b4e
    staging: /var/lib/airflow/dag-releases/.incoming-3f2a9c1d0b4e
    releases_dir: /var/lib/airflow/dag-releases
    live_dir: /var/lib/airflow/dags
    airflow_home: /var/lib/airflow
    airflow_config: /etc/airflow/airflow.cfg
    label: dags/
  vars:
    ansible_python_interpreter: /opt/airflow/bin/python
  become: true
  become_user: airflow

- name: The branch the GitDagBundle tracks names the commit, parsed by Airflow first
  datatech.mlops.dags_release:
    delivery: git_bundle
    release: 0d1f6a8c3b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a
    bundle_repo: /var/lib/airflow/dags.git
    airflow_home: /var/lib/airflow
    airflow_config: /etc/airflow/airflow.cfg
  vars:
    ansible_python_interpreter: /opt/airflow/bin/python
  become: true
  become_user: airflow
"""

RETURN = r"""
release:
  description: The release made live (C(git_bundle) - its commit).
  returned: always
  type: str
previous:
  description: The release (or commit) live before; empty when none was.
  returned: always
  type: str
activated:
  description: Whether this run made the release live and Airflow serialized it (never in check mode).
  returned: always
  type: bool
parsed_at:
  description: When Airflow began to serialize the release (UTC, to the second, as the API writes times); a DAG
    the API shows as parsed at or after it is of this release. Empty when nothing was activated.
  returned: always
  type: str
  sample: "2026-11-23T21:30:05"
dags:
  description: DAG ids of the release, from the import check, or from its manifest (empty for adopted DAGs).
  returned: always
  type: list
  elements: str
  sample: [iris_training, wine_training]
import_errors:
  description: Files that failed to import, with their tracebacks (a refused release).
  returned: always
  type: dict
  sample: {broken.py: "Traceback (most recent call last): ... SyntaxError: invalid syntax"}
history:
  description: The history recorded (or, when nothing changed, as it is), oldest first; the last one is live.
  returned: always
  type: list
  elements: str
adopted:
  description: C(folder) - the release the files of a plain DAGs folder became; empty when there was none.
  returned: always
  type: str
removed:
  description: C(folder) - release directories removed because the history no longer names them.
  returned: always
  type: list
  elements: str
"""

import os
import socket
import sys
import traceback
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.datatech.mlops.plugins.module_utils.airflow_process import host_imports_only, stdout_to_stderr
from ansible_collections.datatech.mlops.plugins.module_utils.dags import (
    RELEASE_ARGUMENT_SPEC,
    RELEASE_REQUIRED_IF,
    Airflow,
    DeployError,
    Outcome,
    bundle_plan,
    deploy_bundle,
    deploy_folder,
    folder_plan,
)


def predicted(p: dict) -> dict:
    """Check mode: what a run would do, read without Airflow."""
    if p["delivery"] == "folder":
        plan = folder_plan(Path(p["releases_dir"]), Path(p["live_dir"]), p["release"], p["keep"], p["rollback"])
        change = plan.activate or plan.live_plain
    else:
        plan = bundle_plan(Path(p["bundle_repo"]), p["bundle_ref"], p["release"], p["keep"], p["rollback"])
        change = plan.activate
    history = plan.history_next if change else plan.history
    outcome = Outcome(release=p["release"], previous=plan.live, dags=plan.dags, history=history)
    return {"changed": change, **outcome.as_dict()}


def deploy(p: dict) -> Outcome:
    os.environ["AIRFLOW_HOME"] = p["airflow_home"]
    os.environ["AIRFLOW_CONFIG"] = p["airflow_config"]
    os.chdir(p["airflow_home"])
    host = socket.gethostname()
    if p["delivery"] == "folder":
        return deploy_folder(
            Airflow(),
            Path(p["releases_dir"]),
            Path(p["live_dir"]),
            p["release"],
            p["keep"],
            rollback=p["rollback"],
            staging=Path(p["staging"]) if p["staging"] else None,
            label=p["label"],
            host=host,
            serialize=p["serialize"],
        )
    return deploy_bundle(
        Airflow(),
        p["bundle_name"],
        Path(p["bundle_repo"]),
        p["bundle_ref"],
        p["release"],
        p["keep"],
        rollback=p["rollback"],
        label=p["label"],
        host=host,
    )


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **RELEASE_ARGUMENT_SPEC,
            "release": {"type": "str", "required": True},
            "staging": {"type": "path"},
            "bundle_name": {"type": "str", "default": "dags-git"},
            "airflow_home": {"type": "path", "required": True},
            "airflow_config": {"type": "path", "required": True},
            "label": {"type": "str", "default": ""},
            "serialize": {"type": "bool", "default": True},
        },
        required_if=RELEASE_REQUIRED_IF,
        supports_check_mode=True,
    )
    p = module.params
    if p["keep"] < 1:
        module.fail_json(msg=f"keep must be 1 or more (got {p['keep']})")
    if p["rollback"] and p["staging"]:
        module.fail_json(msg="a rollback returns to a release on the host: it takes no staging")
    try:
        if module.check_mode:
            module.exit_json(**predicted(p))
        host_imports_only()
        with stdout_to_stderr():
            outcome = deploy(p)
    except DeployError as exc:
        module.fail_json(msg=str(exc), **{"activated": False, **exc.result})
    except ImportError as exc:
        module.fail_json(msg=f"Airflow cannot be imported by {sys.executable}: {exc}", exception=traceback.format_exc())
    except Exception as exc:  # any failure of Airflow is the deploy's, reported with its traceback
        module.fail_json(msg=f"{type(exc).__name__}: {exc}", exception=traceback.format_exc())
    module.exit_json(changed=outcome.activated or bool(outcome.adopted), **outcome.as_dict())


if __name__ == "__main__":
    main()
