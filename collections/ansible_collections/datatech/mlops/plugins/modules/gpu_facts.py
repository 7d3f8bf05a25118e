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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.datatech.mlops.plugins.module_utils.gpu import gather


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
