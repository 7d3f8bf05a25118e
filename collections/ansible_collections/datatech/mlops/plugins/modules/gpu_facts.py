#!/usr/bin/python
"""Ansible module gpu_facts: NVIDIA GPUs of a host, their driver and CUDA, and whether they are usable."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Report NVIDIA GPUs, driver and CUDA versions, and whether the GPUs are usable
version_added: "0.1.0"
description:
  - Finds NVIDIA GPUs from PCI sysfs (vendor C(0x10de), display class C(0x03xx)), so data-centre GPUs
    that report as "3D controller" are found too, unlike a grep of C(lspci) for VGA.
  - Reports whether the NVIDIA kernel driver is loaded (C(/proc/driver/nvidia/gpus)) and whether the GPUs are
    usable, which means C(nvidia-smi) answers with each GPU's name, compute capability and memory.
  - Reports the CUDA version the driver supports and the CUDA toolkit found under O(cuda_home) (its C(nvcc) and
    version). GPUs count as usable only with that toolkit, as GPU code is compiled with its C(nvcc).
  - Never changes the host; runs in check mode.
options:
  sysfs_root:
    description: Where sysfs is mounted (tests point it at a fake tree).
    type: path
    default: /sys
  procfs_root:
    description: Where procfs is mounted.
    type: path
    default: /proc
  nvidia_smi:
    description: The C(nvidia-smi) command; looked up in PATH and C(/usr/bin) when not an absolute path.
    type: str
    default: nvidia-smi
  cuda_home:
    description: Where the CUDA toolkit is installed (its C(bin/nvcc) and C(version.json)); usable GPUs need it.
    type: path
    default: /usr/local/cuda
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: GPU facts are known
  datatech.mlops.gpu_facts:

- name: Report the GPUs
  ansible.builtin.debug:
    msg: "{{ ansible_facts.nvidia_gpu.devices | map(attribute='name') | list }}"
  when: ansible_facts.nvidia_gpu.usable
"""

RETURN = r"""
ansible_facts:
  description: Facts under C(nvidia_gpu).
  returned: always
  type: dict
  contains:
    nvidia_gpu:
      description: What was found.
      type: dict
      contains:
        present:
          description: At least one NVIDIA GPU is on the PCI bus.
          type: bool
        count:
          description: How many NVIDIA GPUs are on the PCI bus.
          type: int
        pci_addresses:
          description: Their PCI addresses.
          type: list
          elements: str
        driver_loaded:
          description: The NVIDIA kernel driver is loaded.
          type: bool
        driver_version:
          description: The driver's version, empty when unknown.
          type: str
        cuda_version:
          description: The newest CUDA version the driver supports, empty when unknown.
          type: str
        cuda_toolkit_version:
          description: The CUDA toolkit's version under O(cuda_home), empty when there is none.
          type: str
        nvcc:
          description: Path of the toolkit's C(nvcc) under O(cuda_home), empty when there is none.
          type: str
        devices:
          description: One entry per GPU that C(nvidia-smi) reports (name, compute_capability, memory_mib).
          type: list
          elements: dict
        min_compute_capability:
          description: The lowest compute capability among the GPUs (for example C(9.0)), empty when unknown.
          type: str
        gpu_usable:
          description: GPUs are present, the driver is loaded and C(nvidia-smi) reports them, toolkit or not.
          type: bool
        usable:
          description: The GPUs work (C(gpu_usable)) and the CUDA toolkit's C(nvcc)
            is installed.
          type: bool
        reason:
          description: Why the GPUs are not usable, or C(usable) when they are.
          type: str
  sample:
    nvidia_gpu:
      present: true
      count: 1
      pci_addresses: ["0000:00:05.0"]
      driver_loaded: true
      driver_version: "580.159.04"
      cuda_version: "13.0"
      cuda_toolkit_version: "13.0.48"
      nvcc: /usr/local/cuda/bin/nvcc
      devices: [{name: NVIDIA H100 80GB HBM3, compute_capability: "9.0", memory_mib: 81559}]
      min_compute_capability: "9.0"
      gpu_usable: true
      usable: true
      reason: usable
"""

import json
import os
import re
import shutil

from ansible.module_utils.basic import AnsibleModule

NVIDIA_VENDOR = "0x10de"


def read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def pci_gpus(sysfs_root):
    """PCI addresses of NVIDIA devices of display class 0x03xx (VGA, 3D controller, ...)."""
    base = os.path.join(sysfs_root, "bus", "pci", "devices")
    found = []
    if not os.path.isdir(base):
        return found
    for address in sorted(os.listdir(base)):
        device = os.path.join(base, address)
        if read(os.path.join(device, "vendor")).lower() == NVIDIA_VENDOR and read(
            os.path.join(device, "class")
        ).lower().startswith("0x03"):
            found.append(address)
    return found


def parse_query(output):
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


def parse_cuda_version(output):
    match = re.search(r"CUDA Version:\s*([0-9.]+)", output)
    return match.group(1) if match else ""


def toolkit_version(cuda_home, run_command):
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
    nvcc = os.path.join(cuda_home, "bin", "nvcc")
    if not os.access(nvcc, os.X_OK):
        return ""
    rc, out = run_command([nvcc, "--version"])[:2]
    match = re.search(r"release [0-9.]+, V([0-9.]+)", out) if rc == 0 else None
    return match.group(1) if match else ""


def find_nvcc(cuda_home):
    nvcc = os.path.join(cuda_home, "bin", "nvcc")
    return nvcc if os.access(nvcc, os.X_OK) else ""


def driver_from_procfs(procfs_root):
    match = re.search(r"\s(\d+\.\d+(?:\.\d+)?)\s", read(os.path.join(procfs_root, "driver", "nvidia", "version")) + " ")
    return match.group(1) if match else ""


def lowest_capability(devices):
    values = []
    for device in devices:
        try:
            values.append(tuple(int(part) for part in device["compute_capability"].split(".")))
        except ValueError:
            continue
    return ".".join(str(part) for part in min(values)) if values else ""


def gather(sysfs_root, procfs_root, nvidia_smi, cuda_home, run_command):
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
    smi = (
        nvidia_smi
        if os.path.isabs(nvidia_smi)
        else shutil.which(nvidia_smi, path=os.environ.get("PATH", "") + ":/usr/bin")
    )
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
        facts["reason"] = f"the GPUs work but the CUDA toolkit is missing: no {os.path.join(cuda_home, 'bin', 'nvcc')}"
        return facts
    facts["usable"] = True
    facts["reason"] = "usable"
    return facts


def main():
    module = AnsibleModule(
        argument_spec={
            "sysfs_root": {"type": "path", "default": "/sys"},
            "procfs_root": {"type": "path", "default": "/proc"},
            "nvidia_smi": {"type": "str", "default": "nvidia-smi"},
            "cuda_home": {"type": "path", "default": "/usr/local/cuda"},
        },
        supports_check_mode=True,
    )
    params = module.params
    facts = gather(
        params["sysfs_root"],
        params["procfs_root"],
        params["nvidia_smi"],
        params["cuda_home"],
        module.run_command,
    )
    module.exit_json(changed=False, ansible_facts={"nvidia_gpu": facts})


if __name__ == "__main__":
    main()
