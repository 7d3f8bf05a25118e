"""module_utils/airflow_process: a Mitogen-like hook serves only Ansible's packages; Airflow's prints reach stderr."""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.airflow_process import (
    AnsibleFromController,
    host_imports_only,
    stdout_to_stderr,
)


class Importer:
    """Like mitogen.core.Importer: claims any name found nowhere else, and refuses it without naming it."""

    def find_spec(self, fullname, path, target=None):
        if importlib.machinery.PathFinder.find_spec(fullname, path) is not None:
            return None
        return importlib.machinery.ModuleSpec(fullname, loader=self)

    def create_module(self, spec):
        raise ModuleNotFoundError("Mitogen won't serve it, it's not in the overrides list")

    def exec_module(self, module):
        raise AssertionError("never reached")


Importer.__module__ = "mitogen.core"


@pytest.fixture
def mitogen_hook(monkeypatch):
    hook = Importer()
    monkeypatch.setattr(sys, "meta_path", [hook, *sys.meta_path])
    return hook


def test_an_absent_module_is_not_found_by_its_own_name(mitogen_hook):
    with pytest.raises(ModuleNotFoundError) as before:
        importlib.import_module("airflow_local_settings")
    assert before.value.name is None  # what broke Airflow's probe
    assert host_imports_only() == 1
    with pytest.raises(ModuleNotFoundError) as after:
        importlib.import_module("airflow_local_settings")
    assert after.value.name == "airflow_local_settings"


def test_ansible_names_still_come_from_the_controller_and_local_modules_from_the_host(mitogen_hook):
    host_imports_only()
    (narrowed,) = [finder for finder in sys.meta_path if isinstance(finder, AnsibleFromController)]
    assert narrowed.importer is mitogen_hook
    spec = narrowed.find_spec("ansible_collections.absent.module", None)
    assert spec is not None and spec.loader is mitogen_hook
    assert narrowed.find_spec("json", None) is None
    assert importlib.import_module("json").__name__ == "json"


def test_without_mitogen_nothing_changes(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    before = list(sys.meta_path)
    assert host_imports_only() == 0
    assert sys.meta_path == before


def test_prints_and_fd_writes_inside_go_to_stderr_and_stdout_comes_back(capfd):
    with stdout_to_stderr():
        print("from print")
        sys.stdout.flush()
        os.write(1, b"from fd 1\n")
    print("answer")
    out, err = capfd.readouterr()
    assert out == "answer\n"
    assert "from print" in err and "from fd 1" in err
