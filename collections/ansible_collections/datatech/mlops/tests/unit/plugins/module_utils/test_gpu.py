"""module_utils/gpu (gpu_facts, pg_strom_facts, the boot guard) against fake sysfs/procfs trees and nvidia-smi."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.gpu import (
    driver_from_procfs,
    gather,
    lowest_capability,
    parse_cuda_version,
    parse_query,
    toolkit_version,
)

H100_QUERY = "NVIDIA H100 80GB HBM3, 9.0, 580.159.04, 81559\n"
SMI_HEADER = "| NVIDIA-SMI 580.159.04   Driver Version: 580.159.04   CUDA Version: 13.0     |\n"


def pci(root: Path, address: str, vendor: str, cls: str) -> None:
    device = root / "sys/bus/pci/devices" / address
    device.mkdir(parents=True)
    (device / "vendor").write_text(vendor + "\n")
    (device / "class").write_text(cls + "\n")


def driver(root: Path) -> None:
    (root / "proc/driver/nvidia/gpus/0000:00:05.0").mkdir(parents=True)
    (root / "proc/driver/nvidia/version").write_text("NVRM version: NVIDIA UNIX Open Kernel Module  580.159.04\n")


def fake_smi(query_rc: int = 0, query_out: str = H100_QUERY):
    calls = []

    def run(args):
        calls.append(args)
        if len(args) > 1:
            return query_rc, query_out, "NVIDIA-SMI has failed" if query_rc else ""
        return 0, SMI_HEADER, ""

    run.calls = calls
    return run


def toolkit(root: Path) -> None:
    """A CUDA toolkit under root/cuda: its version.json and an executable nvcc."""
    nvcc = root / "cuda/bin/nvcc"
    nvcc.parent.mkdir(parents=True)
    nvcc.write_text("#!/bin/sh\n")
    nvcc.chmod(0o755)
    (root / "cuda/version.json").write_text('{"cuda": {"name": "CUDA SDK", "version": "13.0.48"}}')


def facts(root: Path, run=None, smi: str = "/usr/bin/nvidia-smi"):
    return gather(str(root / "sys"), str(root / "proc"), smi, str(root / "cuda"), run or fake_smi())


def test_no_nvidia_device_is_reported_as_absent(tmp_path: Path) -> None:
    pci(tmp_path, "0000:00:01.0", "0x8086", "0x030000")  # an Intel VGA card
    pci(tmp_path, "0000:00:02.0", "0x10de", "0x040300")  # an NVIDIA audio function, not a GPU
    result = facts(tmp_path)
    assert result["present"] is False and result["usable"] is False
    assert "no NVIDIA GPU" in result["reason"]


def test_data_centre_gpu_as_3d_controller_is_found(tmp_path: Path) -> None:
    pci(tmp_path, "0000:00:05.0", "0x10de", "0x030200")
    driver(tmp_path)
    toolkit(tmp_path)
    result = facts(tmp_path)
    assert result["present"] and result["gpu_usable"] and result["usable"]
    assert result["nvcc"] == str(tmp_path / "cuda/bin/nvcc")
    assert result["pci_addresses"] == ["0000:00:05.0"]
    assert result["devices"] == [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0", "memory_mib": 81559}]
    assert result["driver_version"] == "580.159.04"
    assert result["cuda_version"] == "13.0"
    assert result["cuda_toolkit_version"] == "13.0.48"
    assert result["min_compute_capability"] == "9.0"
    assert result["reason"] == "usable"


def test_gpu_without_cuda_toolkit_works_but_is_not_usable(tmp_path: Path) -> None:
    """A host with the driver and nvidia-smi but no nvcc cannot build or run pg_strom's GPU code."""
    pci(tmp_path, "0000:00:05.0", "0x10de", "0x030200")
    driver(tmp_path)
    result = facts(tmp_path)
    assert result["gpu_usable"] and not result["usable"]
    assert (result["nvcc"], result["cuda_toolkit_version"]) == ("", "")
    assert result["reason"] == f"the GPUs work but the CUDA toolkit is missing: no {tmp_path}/cuda/bin/nvcc"
    assert result["min_compute_capability"] == "9.0"


def test_gpu_without_driver_is_not_usable(tmp_path: Path) -> None:
    pci(tmp_path, "0000:00:05.0", "0x10de", "0x030200")
    result = facts(tmp_path)
    assert result["present"] and not result["driver_loaded"] and not result["usable"]
    assert "driver is not loaded" in result["reason"]


def test_missing_nvidia_smi_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pci(tmp_path, "0000:00:05.0", "0x10de", "0x030200")
    driver(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = facts(tmp_path, smi="nvidia-smi-that-does-not-exist")
    assert not result["usable"] and "nvidia-smi is not installed" in result["reason"]


def test_failing_nvidia_smi_is_not_usable(tmp_path: Path) -> None:
    pci(tmp_path, "0000:00:05.0", "0x10de", "0x030200")
    driver(tmp_path)
    result = facts(tmp_path, fake_smi(query_rc=9, query_out=""))
    assert not result["usable"] and "exit 9" in result["reason"]


def test_nvidia_smi_listing_nothing_is_not_usable(tmp_path: Path) -> None:
    pci(tmp_path, "0000:00:05.0", "0x10de", "0x030200")
    driver(tmp_path)
    result = facts(tmp_path, fake_smi(query_out="\n"))
    assert not result["usable"] and "listed no GPU" in result["reason"]


def test_parsers() -> None:
    devices, drivers = parse_query("A, 7.5, 550.1, 16384\nB, 8.6, 550.1, [N/A]\ngarbage\n")
    assert [d["name"] for d in devices] == ["A", "B"] and devices[1]["memory_mib"] == 0
    assert drivers == "550.1"
    assert parse_cuda_version(SMI_HEADER) == "13.0" and parse_cuda_version("") == ""
    assert lowest_capability(devices) == "7.5"
    assert lowest_capability([{"compute_capability": "[N/A]"}]) == ""


def test_toolkit_without_version_files_is_read_from_nvcc(tmp_path: Path) -> None:
    """As on the lent H100 image: /usr/local/cuda has bin/nvcc but no version.json."""
    nvcc = tmp_path / "cuda/bin/nvcc"
    nvcc.parent.mkdir(parents=True)
    nvcc.write_text("#!/bin/sh\n")
    nvcc.chmod(0o755)
    out = "Cuda compilation tools, release 13.0, V13.0.88\nBuild cuda_13.0.r13.0/compiler.36424714_0\n"
    assert toolkit_version(str(tmp_path / "cuda"), lambda args: (0, out, "")) == "13.0.88"
    assert toolkit_version(str(tmp_path / "none"), lambda args: (0, out, "")) == ""


def test_driver_version_from_procfs_without_nvidia_smi(tmp_path: Path) -> None:
    driver(tmp_path)
    assert driver_from_procfs(str(tmp_path / "proc")) == "580.159.04"
    assert driver_from_procfs(str(tmp_path / "elsewhere")) == ""
