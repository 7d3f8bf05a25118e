#!/usr/bin/python
"""Ansible module source_checkout: a release's pinned commit checked out, only the paths a build needs."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: source_checkout
short_description: Check out a git release at a pinned commit, fetching only the paths a build needs
version_added: "0.3.0"
description:
  - Clones O(version) (a tag or branch) of O(repo) into O(dest) with one commit of history, no file contents but
    those under O(paths) (a partial clone with a sparse, cone-mode checkout; top-level files are always there), so
    a build reads a few MB instead of the whole repository, and a mirror that lacks files outside O(paths) serves it.
  - The checked-out commit must be O(commit). A commit id is a hash over every tree and file it names, so a moved
    tag or a tampered mirror is refused, and O(dest) is removed again, before anything is built from it.
  - A checkout that is already at O(commit) with the same O(paths) and unmodified files is left alone, build
    outputs included; anything else is cloned again.
  - Servers without partial-clone support (C(uploadpack.allowFilter)) send every file of the commit instead.
options:
  repo:
    description: URL of the repository, or an absolute path of a local one.
    type: str
    required: true
  version:
    description: Tag or branch to check out.
    type: str
    required: true
  commit:
    description: The full commit id O(version) must be.
    type: str
    required: true
  dest:
    description: Directory of the checkout; it belongs to this module (removed and cloned again when it differs).
    type: path
    required: true
  paths:
    description: Directories to check out; empty checks out everything.
    type: list
    elements: str
    default: []
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: The pg_strom release source is checked out at its pinned commit
  datatech.mlops.source_checkout:
    repo: https://github.com/heterodb/pg-strom.git
    version: v6.1
    commit: 4d12ef415759dc48cd4c1421565e9c694b7bd3f9
    dest: /usr/local/src/pg-strom-6.1
    paths: [src]
"""

RETURN = r"""
commit:
  description: The commit checked out (O(commit) on success).
  returned: success
  type: str
  sample: 4d12ef415759dc48cd4c1421565e9c694b7bd3f9
cloned:
  description: Whether the repository was cloned by this run (or would be, in check mode).
  returned: always
  type: bool
"""

import os
import re
import shutil

from ansible.module_utils.basic import AnsibleModule

COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


def git(module: AnsibleModule, *args: str, cwd: str | None = None) -> tuple:
    return module.run_command(["git", *args], cwd=cwd)[:3]


def current_state(module: AnsibleModule, dest: str) -> dict:
    """Commit, sparse paths and whether tracked files were changed, of an existing checkout ({} when there is none)."""
    if not os.path.isdir(os.path.join(dest, ".git")):
        return {}
    rc, head = git(module, "rev-parse", "HEAD", cwd=dest)[:2]
    if rc != 0:
        return {}
    rc, listed = git(module, "sparse-checkout", "list", cwd=dest)[:2]
    rc_status, status = git(module, "status", "--porcelain", "--untracked-files=no", cwd=dest)[:2]
    return {
        "commit": head.strip(),
        "paths": sorted(listed.split()) if rc == 0 else [],
        "clean": rc_status == 0 and not status.strip(),
    }


def clone_url(repo: str) -> str:
    # A plain local path makes git copy the repository whole; file:// honours --depth and --filter.
    return "file://" + repo if repo.startswith("/") else repo


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "repo": {"type": "str", "required": True},
            "version": {"type": "str", "required": True},
            "commit": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},
            "paths": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    commit, dest, paths = params["commit"].lower(), params["dest"], sorted(params["paths"])
    if not COMMIT_RE.fullmatch(commit):
        module.fail_json(msg=f"commit {params['commit']!r} is not a full 40-character commit id. Nothing was changed.")
    if dest.rstrip("/") in ("", "/") or ".." in dest.split("/"):
        module.fail_json(msg=f"dest {dest!r} must be an absolute directory other than / and without '..'.")
    if not shutil.which("git"):
        module.fail_json(msg="git is not installed on this host: install it (apt-get install git).")
    state = current_state(module, dest)
    if state == {"commit": commit, "paths": paths, "clean": True}:
        module.exit_json(changed=False, cloned=False, commit=commit)
    if module.check_mode:
        module.exit_json(changed=True, cloned=True, commit=commit)
    if os.path.isdir(dest) and not os.path.islink(dest):
        shutil.rmtree(dest)
    elif os.path.lexists(dest):
        os.unlink(dest)
    os.makedirs(os.path.dirname(dest) or "/", exist_ok=True)
    args = ["-c", "advice.detachedHead=false", "clone", "--quiet", "--depth", "1", "--branch", params["version"]]
    args += ["--filter=blob:none"]
    args += ["--sparse"] if paths else []
    rc, out, err = git(module, *args, clone_url(params["repo"]), dest)
    if rc == 0 and paths:
        rc, out, err = git(module, "sparse-checkout", "set", "--cone", *paths, cwd=dest)
    if rc != 0:
        shutil.rmtree(dest, ignore_errors=True)
        detail = " ".join((err or out).split())[-400:]
        module.fail_json(
            msg=f"{params['repo']} {params['version']} could not be checked out: {detail}. Nothing was built.",
        )
    head = git(module, "rev-parse", "HEAD", cwd=dest)[1].strip()
    if head != commit:
        shutil.rmtree(dest, ignore_errors=True)
        module.fail_json(
            msg=(
                f"{params['repo']} {params['version']} is commit {head}, not the pinned {commit}: nothing was built. "
                "Check the mirror, or after reviewing the release set the pinned commit."
            ),
            commit=head,
        )
    module.exit_json(changed=True, cloned=True, commit=head)


if __name__ == "__main__":
    main()
