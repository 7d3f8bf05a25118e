"""Strategy free: ansible.builtin.free, through Mitogen when the control node has it."""

from __future__ import annotations

DOCUMENTATION = """
name: free
author: datatech MLOps platform team (@datatech)
version_added: "0.2.0"
short_description: ansible.builtin.free, through Mitogen when it is installed
description:
  - Each host runs its tasks as fast as it can, without waiting for the others (ansible.builtin.free).
  - When the Python package C(mitogen) is importable on the control node, modules run through Mitogen's connection
    to each host (one SSH connection and one Python interpreter per host, modules cached there), which takes about
    half the time of Ansible's own SSH transport; otherwise the builtin strategy runs, with a warning.
  - Set the environment variable C(MLOPS_NO_MITOGEN=1) to run the builtin strategy without Mitogen.
"""

from ansible_collections.datatech.mlops.plugins.plugin_utils.mitogen import strategy_class

StrategyModule = strategy_class("free")
