"""Strategy mlops_free of the platform's checkout (not of the collection): ansible.builtin.free through Mitogen."""

from __future__ import annotations

import sys
from pathlib import Path

# The code both strategies share is tools/ansible/mlops_mitogen.py, beside this directory (Mitogen's plugins do the
# same): Ansible loads a plugin from its file, not as part of a package.
_SHARED = str(Path(__file__).resolve().parents[1])
if _SHARED not in sys.path:
    sys.path.insert(0, _SHARED)

from mlops_mitogen import strategy_class  # noqa: E402

DOCUMENTATION = """
name: mlops_free
author: datatech MLOps platform team (@datatech)
short_description: ansible.builtin.free, through Mitogen when it is installed (the platform checkout's opt-in)
description:
  - Each host runs its tasks as fast as it can, without waiting for the others (ansible.builtin.free).
  - When the Python package C(mitogen) is importable on the control node, modules run through Mitogen's connection
    to each host (one SSH connection and one Python interpreter per host, modules cached there), which takes about
    half the time of Ansible's own SSH transport; otherwise the builtin strategy runs, with a warning.
  - Set the environment variable C(MLOPS_NO_MITOGEN=1) to run the builtin strategy without Mitogen.
  - Not part of the collection datatech.mlops; playbooks/foundation.yml runs it where the configured default strategy
    is mlops_linear (the checkout's ansible.cfg and molecule's base config).
"""

StrategyModule = strategy_class("free")
