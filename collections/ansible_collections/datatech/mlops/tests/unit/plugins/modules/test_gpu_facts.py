"""The gpu_facts module run as Ansible runs it: arguments in, JSON facts out, with a fake host tree and nvidia-smi."""

from __future__ import annotations

import json
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.datatech.mlops.plugins.modules import gpu_facts

NVIDIA_SMI = """#!/bin/sh
if [ "$#" -gt 0 ]; then
  echo "NVIDIA H100 80GB HBM3, 9.0, 580.159.04, 81559"
else
  echo "| NVIDIA-SMI 580.159.04   Driver Version: 580.159.04   CUDA Version: 13.0     |"
fi
"""


def host_tree(root, gpu=True, driver=True):
    """A sysfs/procfs tree with one data-centre GPU (PCI class 3D controller) and its driver when asked."""
    device = root / "sys/bus/pci/devices/0000:00:05.0"
    device.mkdir(parents=True)
    (device / "vendor").write_text("0x10de\n" if gpu else "0x8086\n")
    (device / "class").write_text("0x030200\n")
    if driver:
        (root / "proc/driver/nvidia/gpus/0000:00:05.0").mkdir(parents=True)
    nvcc = root / "cuda/bin/nvcc"
    nvcc.parent.mkdir(parents=True)
    nvcc.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n")
    nvcc.chmod(0o755)
    smi = root / "nvidia-smi"
    smi.write_text(NVIDIA_SMI)
    smi.chmod(smi.stat().st_mode | stat.S_IXUSR)
    return {
        "sysfs_root": str(root / "sys"),
        "procfs_root": str(root / "proc"),
        "nvidia_smi": str(smi),
        "cuda_home": str(root / "cuda"),
    }


def run_module(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        gpu_facts.main()
    assert exit_info.value.code == 0
    return json.loads(capsys.readouterr().out)


def test_usable_gpu_is_reported_with_devices_and_versions(tmp_path, capsys):
    args = host_tree(tmp_path)
    result = run_module(args, capsys)
    facts = result["ansible_facts"]["nvidia_gpu"]
    assert result["changed"] is False
    assert facts["usable"] is True and facts["reason"] == "usable"
    assert (facts["nvcc"], facts["cuda_toolkit_version"]) == (args["cuda_home"] + "/bin/nvcc", "13.0.88")
    assert facts["devices"] == [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0", "memory_mib": 81559}]
    assert (facts["driver_version"], facts["cuda_version"], facts["min_compute_capability"]) == (
        "580.159.04",
        "13.0",
        "9.0",
    )


def test_gpu_without_driver_is_not_usable_and_says_why(tmp_path, capsys):
    facts = run_module(host_tree(tmp_path, driver=False), capsys)["ansible_facts"]["nvidia_gpu"]
    assert facts["present"] is True and facts["usable"] is False
    assert "driver is not loaded" in facts["reason"]


def test_gpu_without_cuda_toolkit_is_not_usable(tmp_path, capsys):
    args = host_tree(tmp_path)
    (tmp_path / "cuda/bin/nvcc").unlink()
    facts = run_module(args, capsys)["ansible_facts"]["nvidia_gpu"]
    assert facts["gpu_usable"] is True and facts["usable"] is False and facts["nvcc"] == ""
    assert "CUDA toolkit is missing" in facts["reason"]


def test_host_without_nvidia_gpu_reports_none(tmp_path, capsys):
    facts = run_module(host_tree(tmp_path, gpu=False), capsys)["ansible_facts"]["nvidia_gpu"]
    assert (facts["present"], facts["count"], facts["usable"]) == (False, 0, False)


def test_check_mode_reports_the_same_facts_and_changes_nothing(tmp_path, capsys):
    args = host_tree(tmp_path)
    result = run_module({**args, "_ansible_check_mode": True}, capsys)
    assert result["changed"] is False
    assert result["ansible_facts"]["nvidia_gpu"]["usable"] is True


def test_unknown_option_is_refused(tmp_path, capsys):
    with patch_module_args({"sysfs": "/sys"}), pytest.raises(SystemExit) as exit_info:
        gpu_facts.main()
    assert exit_info.value.code == 1
    assert "Unsupported parameters" in json.loads(capsys.readouterr().out)["msg"]
