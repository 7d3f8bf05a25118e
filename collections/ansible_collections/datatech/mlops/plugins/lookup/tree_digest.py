"""Lookup tree_digest: one SHA-256 over a directory tree's relative file names and contents."""

from __future__ import annotations

DOCUMENTATION = """
name: tree_digest
author: datatech MLOps platform team (@datatech)
version_added: "0.1.0"
short_description: SHA-256 of the files under a directory on the control node
description:
  - Hashes every regular file's path relative to the directory and its content, in sorted order, so the same tree
    gives the same digest wherever it is checked out (timestamps and permissions do not count).
  - Files whose relative path matches one of the exclude patterns are left out, as community.general.archive does
    with the same patterns.
options:
  _terms:
    description: Directory on the control node.
    required: true
  exclude:
    description: fnmatch patterns matched against each file's relative path (C(*) also matches C(/)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = """
- name: Release id of the DAGs
  ansible.builtin.set_fact:
    release: "{{ lookup('datatech.mlops.tree_digest', 'dags', exclude=['tests', 'tests/*']) }}"
"""

RETURN = """
_raw:
  description: Hex SHA-256 digest, one per directory given.
  type: list
  elements: str
"""

import hashlib
import os
from fnmatch import fnmatch

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def tree_digest(root: str, exclude: list[str]) -> str:
    """Digest of (relative path, content) of every regular file under root not matching an exclude pattern, and of
    (relative path, target) of every symbolic link, which is never followed."""
    if not os.path.isdir(root):
        raise AnsibleLookupError(f"tree_digest: {root} is not a directory")
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if any(fnmatch(rel, pattern) for pattern in exclude):
                continue
            # A link counts by where it points, never by what it points at: nothing outside the tree is read.
            if os.path.islink(path):
                digest.update(rel.encode() + b"\0link\0" + os.readlink(path).encode())
                continue
            if not os.path.isfile(path):
                continue
            digest.update(rel.encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [tree_digest(str(term), self.get_option("exclude")) for term in terms]
