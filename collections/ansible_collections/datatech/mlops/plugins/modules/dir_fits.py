#!/usr/bin/python
"""Ansible module dir_fits: whether a directory tree fits on the filesystem a target path lands on."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dir_fits
short_description: Tell whether a directory tree fits on the filesystem where a target directory lands
version_added: "0.3.0"
description:
  - Measures O(source) as C(du) does (blocks of every file, directory and link, hard links once; and inodes) and the
    free bytes and inodes of the filesystem that O(target) is on, or would be created on when it does not exist yet
    (its deepest existing parent), as C(df) does.
  - Says whether the tree plus O(margin) fits there, for a role to refuse a move before anything changes.
  - Never changes the host; runs in check mode.
options:
  source:
    description: The directory tree to measure.
    type: path
    required: true
  target:
    description: Where the tree would be copied to (it need not exist).
    type: path
    required: true
  margin:
    description: Factor the tree may grow by before the copy ends (WAL written until a server stops).
    type: float
    default: 1.05
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: The target's filesystem has room for the cluster
  datatech.mlops.dir_fits:
    source: /var/lib/postgresql/17/main
    target: /srv/pgdata/main
  register: room

- name: The move is refused where it does not fit
  ansible.builtin.fail:
    msg: "{{ room.mount }} has {{ room.free_mib }} MiB free, the cluster takes {{ room.source_mib }} MiB"
  when: not room.fits
"""

RETURN = r"""
fits:
  description: The tree, grown by O(margin), fits in the free bytes and (where the filesystem counts them) inodes.
  returned: always
  type: bool
mount:
  description: Mount point of the filesystem O(target) lands on.
  returned: always
  type: str
  sample: /srv
free_mib:
  description: Free MiB there (to one decimal).
  returned: always
  type: float
free_inodes:
  description: Free inodes there.
  returned: always
  type: int
source_mib:
  description: MiB the tree takes (to one decimal).
  returned: always
  type: float
source_files:
  description: Inodes the tree takes (files, directories and links).
  returned: always
  type: int
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.datatech.mlops.plugins.module_utils.disk import MIB, filesystem_of, lacking_room, tree_usage


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "source": {"type": "path", "required": True},
            "target": {"type": "path", "required": True},
            "margin": {"type": "float", "default": 1.05},
        },
        supports_check_mode=True,
    )
    source, target = module.params["source"], module.params["target"]
    if not os.path.isdir(source):
        module.fail_json(msg=f"{source} is not a directory: there is no tree to measure.")
    if not os.path.isabs(target):
        module.fail_json(msg=f"target {target!r} must be an absolute path.")
    usage, fs = tree_usage(source), filesystem_of(target)
    module.exit_json(
        changed=False,
        fits=not lacking_room(usage, fs, module.params["margin"]),
        mount=fs.mount,
        free_mib=round(fs.bytes_free / MIB, 1),
        free_inodes=fs.inodes_free,
        source_mib=round(usage.bytes / MIB, 1),
        source_files=usage.files,
    )


if __name__ == "__main__":
    main()
