"""Strategy linear: ansible.builtin.linear, through Mitogen when the control node has it."""

from __future__ import annotations

DOCUMENTATION = """
name: linear
author: datatech MLOps platform team (@datatech)
version_added: "0.2.0"
short_description: ansible.builtin.linear, through Mitogen when it is installed
description:
  - Each task runs on every host before the next task starts (ansible.builtin.linear).
  - When the Python package C(mitogen) is importable on the control node, modules run through Mitogen's connection
    to each host (one SSH connection and one Python interpreter per host, modules cached there), which takes about
    half the time of Ansible's own SSH transport; otherwise the builtin strategy runs, with a warning.
  - Set the environment variable C(MLOPS_NO_MITOGEN=1) to run the builtin strategy without Mitogen.
"""

from ansible_collections.datatech.mlops.plugins.plugin_utils.mitogen import strategy_class

StrategyModule = strategy_class("linear")
