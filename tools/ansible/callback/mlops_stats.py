"""Ansible callback plugin of the platform's checkout (not of the collection): each host's recap counts as JSON, for
mlopsctl's playbook runner (tools/src/mlopsctl/playbook.py), which alone enables it, through the environment."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: mlops_stats
type: aggregate
short_description: Writes each host's recap counts as JSON to the file MLOPS_STATS_FILE names
description:
  - Enabled only by mlopsctl, through ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED in the environment of
    the ansible-playbook it runs; the output callback prints to the terminal as it always does.
  - At the end of the playbook writes one JSON object, its key hosts holding each host's counts of the play recap
    (ok, changed, failures, unreachable, skipped, rescued, ignored), from Ansible's own stats.
requirements:
  - MLOPS_STATS_FILE in the environment, the file to write; without it the plugin writes nothing
"""

STATS_FILE = "MLOPS_STATS_FILE"


class CallbackModule(CallbackBase):
    """The play recap's counts per host, written once the playbook ends."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mlops_stats"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats) -> None:  # stats: Ansible's AggregateStats
        path = os.environ.get(STATS_FILE)
        if not path:
            return
        hosts = {host: stats.summarize(host) for host in sorted(stats.processed)}
        # Written beside the target and renamed: the runner never reads half a file.
        handle, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".mlops-stats-")
        with os.fdopen(handle, "w") as out:
            json.dump({"hosts": hosts}, out)
        os.replace(tmp, path)
