"""The postgresql role's pg_strom preflight, run by Ansible on this machine with the GPU facts of other hosts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BIN = Path(sys.executable).parent

H100 = {"driver_version": "580.159.04", "devices": [{"name": "NVIDIA H100"}], "min_compute_capability": "9.0"}
USABLE = {**H100, "gpu_usable": True, "usable": True, "reason": "usable", "cuda_toolkit_version": "12.8.93"}
NO_NVCC = {**USABLE, "usable": False, "cuda_toolkit_version": "", "reason": "GPUs work, the CUDA toolkit is gone"}
NO_GPU = {**NO_NVCC, "gpu_usable": False, "devices": [], "reason": "no NVIDIA GPU on this host"}

CASES = {
    "usable": {"gpu": USABLE, "version": "16"},
    "postgresql_14": {"gpu": USABLE, "version": "14"},
    "old_toolkit": {"gpu": {**USABLE, "cuda_toolkit_version": "12.0.140"}, "version": "16"},
    "no_nvcc": {"gpu": NO_NVCC, "version": "16"},
    "no_nvcc_installed_on_request": {"gpu": NO_NVCC, "version": "16", "install": True},
    "no_gpu_install_asked": {"gpu": NO_GPU, "version": "16", "install": True},
    "no_arrow_checksum": {"gpu": USABLE, "version": "16", "arrow_sha256": ""},
}
# Any pinned value will do: the preflight only asks whether one is set (get_url checks it against the download).
ARROW_SHA256 = "0" * 64


def run_preflight(tmp_path: Path, root: Path, mode: str) -> dict[str, dict]:
    """Runs pg_strom_preflight.yml once per case on localhost and returns what it decided or the failure."""
    tasks = []
    for name, case in CASES.items():
        include = {
            "name": f"Case {name}",
            "ansible.builtin.include_role": {"name": "datatech.mlops.postgresql", "tasks_from": "pg_strom_preflight"},
            "vars": {
                "_postgresql_gpu": case["gpu"],
                "_postgresql_version": case["version"],
                "_postgresql_pg_strom_mode": mode,
                "_postgresql_pg_strom_preload": "$libdir/pg_strom",
                "_postgresql_pg_strom_state_path": str(tmp_path / f"{name}.json"),
                "postgresql_pg_strom_cuda_install": case.get("install", False),
                "postgresql_pg_strom_arrow_apt_source_sha256": case.get("arrow_sha256", ARROW_SHA256),
            },
        }
        keep = {
            "ansible.builtin.set_fact": {
                "decided": "{{ decided | combine({case: {'enabled': _postgresql_pg_strom_enabled | bool, "
                "'blockers': _postgresql_pg_strom_blockers, 'cuda': _postgresql_pg_strom_cuda_needed | bool}}) }}"
            }
        }
        failed = {"ansible.builtin.set_fact": {"decided": "{{ decided | combine({case: {'failed': msg}}) }}"}}
        failed["vars"] = {"msg": "{{ ansible_failed_result.msg }}"}
        block = {"name": f"Case {name}", "block": [include, keep], "rescue": [failed], "vars": {"case": name}}
        tasks.append(block)
    out = tmp_path / "decided.json"
    tasks.append({"ansible.builtin.copy": {"dest": str(out), "content": "{{ decided | to_json }}", "mode": "0644"}})
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"decided": {}}, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml")]
    cmd += ["-e", f"ansible_python_interpreter={sys.executable}"]
    result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def auto(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return run_preflight(tmp_path_factory.mktemp("auto"), Path(__file__).resolve().parents[2], "auto")


@pytest.fixture(scope="module")
def required(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return run_preflight(tmp_path_factory.mktemp("true"), Path(__file__).resolve().parents[2], "true")


def test_auto_enables_pg_strom_only_where_it_can_build(auto: dict[str, dict]) -> None:
    assert auto["usable"] == {"enabled": True, "blockers": [], "cuda": False}
    assert not auto["postgresql_14"]["enabled"]
    assert "PostgreSQL 14 is older than 15" in auto["postgresql_14"]["blockers"][0]
    assert not auto["old_toolkit"]["enabled"]
    assert "CUDA toolkit 12.0.140 under /usr/local/cuda is older than 12.2" in auto["old_toolkit"]["blockers"][0]
    assert auto["no_nvcc"]["blockers"] == ["GPUs work, the CUDA toolkit is gone"]
    # Nothing downloaded is run as root unverified: without a pinned Arrow source pg_strom waits, and says why.
    assert not auto["no_arrow_checksum"]["enabled"]
    assert "postgresql_pg_strom_arrow_apt_source_sha256" in auto["no_arrow_checksum"]["blockers"][0]


def test_a_missing_toolkit_is_installed_only_when_asked_and_only_on_working_gpus(auto: dict[str, dict]) -> None:
    assert auto["no_nvcc_installed_on_request"] == {"enabled": True, "blockers": [], "cuda": True}
    assert auto["no_gpu_install_asked"]["blockers"] == ["no NVIDIA GPU on this host"]
    assert not auto["no_gpu_install_asked"]["cuda"]


def test_required_pg_strom_is_refused_with_the_reason_before_anything_changes(required: dict[str, dict]) -> None:
    assert required["usable"]["enabled"] is True
    for case, reason in {
        "postgresql_14": "PostgreSQL 14 is older than 15",
        "old_toolkit": "CUDA toolkit 12.0.140",
        "no_nvcc": "the CUDA toolkit is gone",
        "no_arrow_checksum": "no sha256 is pinned for the Apache Arrow apt source",
    }.items():
        message = required[case]["failed"]
        assert "postgresql_pg_strom is true but this host cannot run pg_strom" in message, message
        assert reason in message and "Nothing was changed" in message
