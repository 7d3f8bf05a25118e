"""Strategy mlops_linear of the platform's checkout (not of the collection): ansible.builtin.linear through Mitogen."""

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
name: mlops_linear
author: datatech MLOps platform team (@datatech)
short_description: ansible.builtin.linear, through Mitogen when it is installed (the platform checkout's opt-in)
description:
  - Each task runs on every host before the next task starts (ansible.builtin.linear).
  - When the Python package C(mitogen) is importable on the control node, modules run through Mitogen's connection
    to each host (one SSH connection and one Python interpreter per host, modules cached there), which takes about
    half the time of Ansible's own SSH transport; otherwise the builtin strategy runs, with a warning.
  - Set the environment variable C(MLOPS_NO_MITOGEN=1) to run the builtin strategy without Mitogen.
  - Not part of the collection datatech.mlops; the checkout's ansible.cfg and molecule's base config enable it.
"""

StrategyModule = strategy_class("linear")
