"""Airflow run inside a module's own process (modules airflow_fab_accounts, dags_release): only Ansible's code
comes from the controller, and Airflow's prints stay off the stdout that carries the module's answer."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# Top-level packages an import hook may fetch from the controller: Ansible's and Mitogen's own.
CONTROLLER_PACKAGES = frozenset({"ansible", "ansible_collections", "ansible_mitogen", "mitogen", "__main__"})


class AnsibleFromController:
    """A Mitogen import hook that fetches only CONTROLLER_PACKAGES: any other name is the host's, or not found."""

    def __init__(self, importer: object) -> None:
        self.importer = importer

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> object:
        spec = self.importer.find_spec(fullname, path, target)
        fetched = spec is not None and spec.loader is self.importer
        return None if fetched and fullname.partition(".")[0] not in CONTROLLER_PACKAGES else spec

    def invalidate_caches(self) -> None:
        getattr(self.importer, "invalidate_caches", lambda: None)()


def host_imports_only() -> int:
    """Narrow every Mitogen import hook of this process to AnsibleFromController; return how many (0 without).

    Under Mitogen a process asks the controller for each module it cannot find. Airflow probes optional modules
    (airflow_local_settings) and expects ModuleNotFoundError naming them; Mitogen's refusal names none, so the probe
    fails Airflow's import. The tasks run these modules forked (mitogen_task_isolation: fork): the change dies
    with them.
    """
    narrowed = 0
    for index, finder in enumerate(sys.meta_path):
        if type(finder).__module__ == "mitogen.core":
            sys.meta_path[index] = AnsibleFromController(finder)
            narrowed += 1
    return narrowed


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Airflow logs to stdout, which carries the module's JSON answer: while it runs, stdout is stderr."""
    sys.stdout.flush()
    saved_stream, saved_fd = sys.stdout, os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, 1)
        os.close(saved_fd)
        sys.stdout = saved_stream
