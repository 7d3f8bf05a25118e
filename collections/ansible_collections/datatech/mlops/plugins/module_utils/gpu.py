"""NVIDIA GPU detection shared by the gpu_facts and pg_strom_facts modules and by pg_strom's boot guard on the host.

Plain standard library on purpose: the boot guard runs this same file with the host's python3 before each start of
PostgreSQL, where no Ansible is installed, so the role and the guard can never disagree about what "usable" means.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable

NVIDIA_VENDOR = "0x10de"
# Runs a command and gives back (exit code, stdout, stderr); AnsibleModule.run_command has this shape too.
Runner = Callable[[list], tuple]


def run_subprocess(args: list) -> tuple:
    """A Runner for use outside Ansible (the boot guard)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def pci_gpus(sysfs_root: str) -> list:
    """PCI addresses of NVIDIA devices of display class 0x03xx (VGA, 3D controller, ...)."""
    base = os.path.join(sysfs_root, "bus", "pci", "devices")
    if not os.path.isdir(base):
        return []
    found = []
    for address in sorted(os.listdir(base)):
        device = os.path.join(base, address)
        vendor = read(os.path.join(device, "vendor")).lower()
        if vendor == NVIDIA_VENDOR and read(os.path.join(device, "class")).lower().startswith("0x03"):
            found.append(address)
    return found


def parse_query(output: str) -> tuple:
    """Rows of `nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader,nounits`."""
    devices, drivers = [], set()
    for line in output.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 4 or not parts[0]:
            continue
        name, capability, driver, memory = parts
        drivers.add(driver)
        memory_mib = int(memory) if memory.isdigit() else 0
        devices.append({"name": name, "compute_capability": capability, "memory_mib": memory_mib})
    return devices, ",".join(sorted(drivers))


def parse_cuda_version(output: str) -> str:
    match = re.search(r"CUDA Version:\s*([0-9.]+)", output)
    return match.group(1) if match else ""


def toolkit_version(cuda_home: str, run_command: Runner) -> str:
    """From version.json (CUDA 11+), version.txt (older), or else what the toolkit's nvcc says."""
    text = read(os.path.join(cuda_home, "version.json"))
    if text:
        try:
            return json.loads(text).get("cuda", {}).get("version", "")
        except ValueError:
            pass
    match = re.search(r"CUDA Version\s+([0-9.]+)", read(os.path.join(cuda_home, "version.txt")))
    if match:
        return match.group(1)
    nvcc = find_nvcc(cuda_home)
    if not nvcc:
        return ""
    rc, out = run_command([nvcc, "--version"])[:2]
    match = re.search(r"release [0-9.]+, V([0-9.]+)", out) if rc == 0 else None
    return match.group(1) if match else ""


def find_nvcc(cuda_home: str) -> str:
    nvcc = os.path.join(cuda_home, "bin", "nvcc")
    return nvcc if os.access(nvcc, os.X_OK) else ""


def driver_from_procfs(procfs_root: str) -> str:
    match = re.search(r"\s(\d+\.\d+(?:\.\d+)?)\s", read(os.path.join(procfs_root, "driver", "nvidia", "version")) + " ")
    return match.group(1) if match else ""


def lowest_capability(devices: list) -> str:
    values = []
    for device in devices:
        try:
            values.append(tuple(int(part) for part in device["compute_capability"].split(".")))
        except ValueError:
            continue
    return ".".join(str(part) for part in min(values)) if values else ""


def _find_smi(nvidia_smi: str) -> str:
    if os.path.isabs(nvidia_smi):
        return nvidia_smi
    return shutil.which(nvidia_smi, path=os.environ.get("PATH", "") + ":/usr/bin") or ""


def gather(sysfs_root: str, procfs_root: str, nvidia_smi: str, cuda_home: str, run_command: Runner) -> dict:
    """What the host has: GPUs on the PCI bus, the driver, nvidia-smi's view of them, the CUDA toolkit."""
    addresses = pci_gpus(sysfs_root)
    gpus_dir = os.path.join(procfs_root, "driver", "nvidia", "gpus")
    driver_loaded = os.path.isdir(gpus_dir) and bool(os.listdir(gpus_dir))
    facts = {
        "present": bool(addresses),
        "count": len(addresses),
        "pci_addresses": addresses,
        "driver_loaded": driver_loaded,
        "driver_version": driver_from_procfs(procfs_root),
        "cuda_version": "",
        "cuda_toolkit_version": toolkit_version(cuda_home, run_command),
        "nvcc": find_nvcc(cuda_home),
        "devices": [],
        "min_compute_capability": "",
        "gpu_usable": False,
        "usable": False,
        "reason": "",
    }
    if not addresses:
        facts["reason"] = "no NVIDIA GPU (PCI vendor 0x10de, class 0x03xx) on this host"
        return facts
    if not driver_loaded:
        facts["reason"] = "an NVIDIA GPU is present but the NVIDIA kernel driver is not loaded"
        return facts
    smi = _find_smi(nvidia_smi)
    if not smi:
        facts["reason"] = "the NVIDIA driver is loaded but nvidia-smi is not installed"
        return facts
    query = "--query-gpu=name,compute_cap,driver_version,memory.total"
    rc, out, err = run_command([smi, query, "--format=csv,noheader,nounits"])
    if rc != 0:
        facts["reason"] = f"nvidia-smi failed (exit {rc}): {(err or out).strip()[:300]}"
        return facts
    facts["devices"], facts["driver_version"] = parse_query(out)
    if not facts["devices"]:
        facts["reason"] = "nvidia-smi answered but listed no GPU"
        return facts
    rc, out = run_command([smi])[:2]
    facts["cuda_version"] = parse_cuda_version(out) if rc == 0 else ""
    facts["min_compute_capability"] = lowest_capability(facts["devices"])
    facts["gpu_usable"] = True
    if not facts["nvcc"]:
        nvcc = os.path.join(cuda_home, "bin", "nvcc")
        facts["reason"] = f"the GPUs work but the CUDA toolkit is missing: no {nvcc}"
        return facts
    facts["usable"] = True
    facts["reason"] = "usable"
    return facts
