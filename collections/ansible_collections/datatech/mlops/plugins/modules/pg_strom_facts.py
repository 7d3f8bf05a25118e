#!/usr/bin/python
"""Ansible module pg_strom_facts: whether pg_strom is built and preloaded on this host, and why not."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pg_strom_facts
short_description: Decide whether pg_strom is built and preloaded on a PostgreSQL host
version_added: "0.3.0"
description:
  - Reads what pg_strom depends on from the host, the GPUs as M(datatech.mlops.gpu_facts) finds them (it returns the
    same C(nvidia_gpu) facts), the Python the pinned pyarrow wheel is installed with, the library preloaded as
    pg_strom and a withdrawal recorded when PostgreSQL did not start with it, and decides from them and the
    requested O(mode) whether pg_strom is built and preloaded.
  - With O(mode=auto) pg_strom is enabled on a host with a usable NVIDIA GPU (compute capability
    O(min_compute_capability) or higher) and the CUDA toolkit, a supported PostgreSQL and CUDA version and a pinned
    pyarrow wheel for its Python; elsewhere C(notice) says why not. With O(mode=true) C(error) says why it cannot
    be, for the role to fail before any change. A withdrawal holds until the driver, the toolkit, the GPUs or the
    library change.
  - Never changes the host; runs in check mode.
options:
  mode:
    description: C(auto), C(true) or C(false) (booleans are accepted).
    type: raw
    default: auto
  version:
    description: pg_strom release to build.
    type: str
    default: "6.1"
  postgresql_version:
    description: Major version of the PostgreSQL server.
    type: str
    required: true
  library:
    description: Path of the shared library preloaded as pg_strom (its checksum is part of the fingerprint).
    type: path
    required: true
  state_path:
    description: Where a withdrawal of pg_strom is recorded (JSON with since, reason and fingerprint).
    type: path
    required: true
  cuda_home:
    description: Where the CUDA toolkit is installed.
    type: path
    default: /usr/local/cuda
  cuda_install:
    description: A toolkit from NVIDIA's apt repository may be installed on working GPUs that lack one.
    type: bool
    default: false
  cuda_version:
    description: CUDA toolkit release installed then.
    type: str
    default: "13.0"
  min_compute_capability:
    description: Lowest GPU compute capability pg_strom is enabled on.
    type: str
    default: "7.5"
  build_without_gpu:
    description: Build and install pg_strom where it cannot run yet (no usable GPU); it is preloaded only with one.
    type: bool
    default: false
  pyarrow_version:
    description: Version of the pyarrow wheel whose Arrow and Parquet pg_strom is built against.
    type: str
    default: "22.0.0"
  pyarrow_sha256:
    description: sha256 of that wheel for each Python version (C("3.13")); the host's Python must be one of them.
    type: dict
    default: {}
  python:
    description: The Python interpreter the pyarrow wheel is installed with.
    type: path
    default: /usr/bin/python3
  test_library:
    description: Tests only. A library stands in for a pg_strom build, so hardware and build needs are not asked for.
    type: bool
    default: false
  sysfs_root:
    description: Where sysfs is mounted (tests point it at a fake tree).
    type: path
    default: /sys
  procfs_root:
    description: Where procfs is mounted.
    type: path
    default: /proc
  nvidia_smi:
    description: The C(nvidia-smi) command.
    type: str
    default: nvidia-smi
  lib_dirs:
    description: Directories searched for the NVIDIA driver's C(libcuda.so) that pg_strom links against.
    type: list
    elements: path
    default: [/usr/lib/x86_64-linux-gnu, /usr/lib64, /usr/lib]
seealso:
  - module: datatech.mlops.gpu_facts
author:
  - datatech MLOps platform team (@datatech)
"""

EXAMPLES = r"""
- name: Whether pg_strom is built and preloaded here is decided
  datatech.mlops.pg_strom_facts:
    mode: auto
    postgresql_version: "17"
    library: /usr/lib/postgresql/17/lib/pg_strom.so
    state_path: /etc/postgresql/17/main/pg_strom_withdrawn.json
    pyarrow_sha256:
      "3.13": e0a15757fccb38c410947df156f9749ae4a3c89b2393741a50521f39a8cf202a

- name: The run stops where pg_strom was required and cannot run
  ansible.builtin.fail:
    msg: "{{ ansible_facts.pg_strom.error }}"
  when: ansible_facts.pg_strom.error | length > 0
"""

RETURN = r"""
ansible_facts:
  description: C(nvidia_gpu) as M(datatech.mlops.gpu_facts) returns it, and C(pg_strom).
  returned: always
  type: dict
  contains:
    pg_strom:
      description: The decision.
      type: dict
      contains:
        mode:
          description: The requested mode as C(auto), C(true) or C(false).
          type: str
        enabled:
          description: pg_strom is preloaded on this host.
          type: bool
        build:
          description: pg_strom is built and installed on this host.
          type: bool
        cuda_install:
          description: The CUDA toolkit is installed from NVIDIA's repository first.
          type: bool
        blockers:
          description: Why pg_strom cannot be enabled; empty when it is (or is only withdrawn).
          type: list
          elements: str
        withdrawn:
          description: A withdrawal is recorded for what the host has now.
          type: bool
        withdrawal:
          description: The recorded withdrawal (since, reason, fingerprint), empty when there is none.
          type: dict
        fingerprint:
          description: sha1 of the driver, toolkit, GPU names and library checksum.
          type: str
        python_version:
          description: MAJOR.MINOR of O(python), empty when it does not run.
          type: str
        libcuda:
          description: The C(libcuda.so) the build links against (the driver's, else the toolkit's stub), or empty.
          type: str
        error:
          description: With O(mode=true), why pg_strom cannot run here, in one line; empty otherwise.
          type: str
        notice:
          description: Why pg_strom is not enabled, in one line (for O(mode=auto)); empty when it is.
          type: str
  sample:
    pg_strom:
      mode: auto
      enabled: false
      build: false
      cuda_install: false
      blockers: ["no NVIDIA GPU (PCI vendor 0x10de, class 0x03xx) on this host"]
      withdrawn: false
      withdrawal: {}
      fingerprint: 6c1c3a4f0b3e0d1c2b7c9d8f5a6e4b3c2d1e0f9a
      python_version: "3.13"
      libcuda: ""
      error: ""
      notice: "no NVIDIA GPU (PCI vendor 0x10de, class 0x03xx) on this host"
"""

import json
import os
import platform

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.datatech.mlops.plugins.module_utils.gpu import gather
from ansible_collections.datatech.mlops.plugins.module_utils.pg_strom import Host, Request, decide, normalize_mode


def read_withdrawal(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def python_version(module: AnsibleModule, python: str) -> str:
    if not os.access(python, os.X_OK):
        return ""
    rc, out = module.run_command([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])[:2]
    return out.strip() if rc == 0 else ""


def find_libcuda(lib_dirs: list, cuda_home: str) -> str:
    """The driver's libcuda.so (or .so.1) in the system library directories, else the toolkit's link stub."""
    for directory in lib_dirs:
        for name in ("libcuda.so", "libcuda.so.1"):
            candidate = os.path.join(directory, name)
            if os.path.exists(candidate):
                return candidate
    stub = os.path.join(cuda_home, "lib64", "stubs", "libcuda.so")
    return stub if os.path.exists(stub) else ""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "mode": {"type": "raw", "default": "auto"},
            "version": {"type": "str", "default": "6.1"},
            "postgresql_version": {"type": "str", "required": True},
            "library": {"type": "path", "required": True},
            "state_path": {"type": "path", "required": True},
            "cuda_home": {"type": "path", "default": "/usr/local/cuda"},
            "cuda_install": {"type": "bool", "default": False},
            "cuda_version": {"type": "str", "default": "13.0"},
            "min_compute_capability": {"type": "str", "default": "7.5"},
            "build_without_gpu": {"type": "bool", "default": False},
            "pyarrow_version": {"type": "str", "default": "22.0.0"},
            "pyarrow_sha256": {"type": "dict", "default": {}},
            "python": {"type": "path", "default": "/usr/bin/python3"},
            "test_library": {"type": "bool", "default": False},
            "sysfs_root": {"type": "path", "default": "/sys"},
            "procfs_root": {"type": "path", "default": "/proc"},
            "nvidia_smi": {"type": "str", "default": "nvidia-smi"},
            "lib_dirs": {
                "type": "list",
                "elements": "path",
                "default": ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"],
            },
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        mode = normalize_mode(params["mode"])
    except ValueError as exc:
        module.fail_json(msg=f"{exc}. Nothing was changed.")
    gpu = gather(
        params["sysfs_root"], params["procfs_root"], params["nvidia_smi"], params["cuda_home"], module.run_command
    )
    library = params["library"]
    host = Host(
        gpu=gpu,
        postgresql_version=params["postgresql_version"],
        python_version=python_version(module, params["python"]),
        architecture=platform.machine(),
        library_checksum=module.sha1(library) if os.path.isfile(library) else "",
        withdrawal=read_withdrawal(params["state_path"]),
        libcuda=find_libcuda(params["lib_dirs"], params["cuda_home"]),
    )
    request = Request(
        mode=mode,
        version=params["version"],
        min_compute_capability=params["min_compute_capability"],
        cuda_install=params["cuda_install"],
        cuda_install_version=params["cuda_version"],
        build_without_gpu=params["build_without_gpu"],
        pyarrow_version=params["pyarrow_version"],
        pyarrow_pythons=tuple(str(key) for key, value in params["pyarrow_sha256"].items() if value),
        test_library=params["test_library"],
    )
    decision = decide(request, host)
    decision.update(withdrawal=host.withdrawal, python_version=host.python_version, libcuda=host.libcuda)
    module.exit_json(changed=False, ansible_facts={"nvidia_gpu": gpu, "pg_strom": decision})


if __name__ == "__main__":
    main()
