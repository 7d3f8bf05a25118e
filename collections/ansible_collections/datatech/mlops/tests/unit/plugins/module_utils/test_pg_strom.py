"""pg_strom's decision as a table: every combination the role meets, and what it builds, preloads and says."""

from __future__ import annotations

import dataclasses

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.pg_strom import (
    Host,
    Request,
    arrow_soversion,
    decide,
    fingerprint,
    make_params,
    normalize_mode,
    pip_hash_mismatch,
    pkgconfig_files,
)

H100 = {
    "gpu_usable": True,
    "usable": True,
    "reason": "usable",
    "driver_version": "580.159.04",
    "cuda_toolkit_version": "13.0.88",
    "nvcc": "/usr/local/cuda/bin/nvcc",
    "devices": [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0", "memory_mib": 81559}],
    "min_compute_capability": "9.0",
}
NO_TOOLKIT = {**H100, "usable": False, "nvcc": "", "cuda_toolkit_version": "", "reason": "the CUDA toolkit is missing"}
NO_GPU = {
    "gpu_usable": False,
    "usable": False,
    "reason": "no NVIDIA GPU (PCI vendor 0x10de, class 0x03xx) on this host",
}
NO_GPU_TOOLKIT = {**NO_GPU, "nvcc": "/usr/local/cuda/bin/nvcc", "cuda_toolkit_version": "13.0.88"}
DRIVER_LIBCUDA = "/usr/lib/x86_64-linux-gnu/libcuda.so.1"
STUB_LIBCUDA = "/usr/local/cuda/lib64/stubs/libcuda.so"

GPU_HOST = Host(gpu=H100, postgresql_version="17", python_version="3.13", libcuda=DRIVER_LIBCUDA)
AUTO = Request(mode="auto", pyarrow_pythons=("3.11", "3.12", "3.13"))

# name: (request changes, host changes, enabled, build, cuda_install, words of the one blocker or None)
CASES = {
    "usable_gpu": ({}, {}, True, True, False, None),
    "debian12_postgresql_15": ({}, {"postgresql_version": "15", "python_version": "3.11"}, True, True, False, None),
    "postgresql_14": ({}, {"postgresql_version": "14"}, False, False, False, "PostgreSQL 14 is older than 15"),
    "postgresql_19": ({}, {"postgresql_version": "19"}, False, False, False, "PostgreSQL 19 is newer than 18"),
    "cuda_12": (
        {},
        {"gpu": {**H100, "cuda_toolkit_version": "12.9.86"}},
        False,
        False,
        False,
        "CUDA toolkit 12.9.86 is older than 13.0",
    ),
    "no_toolkit": ({}, {"gpu": NO_TOOLKIT}, False, False, False, "set postgresql_pg_strom_cuda_install: true"),
    "no_toolkit_install_asked": ({"cuda_install": True}, {"gpu": NO_TOOLKIT}, True, True, True, None),
    "old_toolkit_install_asked": (
        {"cuda_install": True},
        {"gpu": {**H100, "cuda_toolkit_version": "12.2.140"}},
        True,
        True,
        True,
        None,
    ),
    "install_of_an_old_cuda_asked": (
        {"cuda_install": True, "cuda_install_version": "12.9"},
        {"gpu": NO_TOOLKIT},
        False,
        False,
        False,
        "postgresql_pg_strom_cuda_version 12.9 is older than 13.0",
    ),
    "no_gpu": ({}, {"gpu": NO_GPU, "libcuda": ""}, False, False, False, "no NVIDIA GPU"),
    "no_gpu_install_asked": ({"cuda_install": True}, {"gpu": NO_GPU, "libcuda": ""}, False, False, False, "no NVIDIA"),
    "no_gpu_built_for_an_image": (
        {"build_without_gpu": True},
        {"gpu": NO_GPU_TOOLKIT, "libcuda": STUB_LIBCUDA},
        False,
        True,
        False,
        "no NVIDIA GPU",
    ),
    "no_gpu_no_toolkit_not_built": (
        {"build_without_gpu": True},
        {"gpu": NO_GPU, "libcuda": ""},
        False,
        False,
        False,
        None,
    ),
    "turing_is_the_oldest": ({}, {"gpu": {**H100, "min_compute_capability": "7.5"}}, True, True, False, None),
    "volta_is_too_old": (
        {},
        {"gpu": {**H100, "min_compute_capability": "7.0"}},
        False,
        False,
        False,
        "GPU compute capability 7.0 is below 7.5",
    ),
    "python_without_a_pinned_wheel": (
        {},
        {"python_version": "3.14"},
        False,
        False,
        False,
        "no sha256 of the pyarrow 22.0.0 wheel is pinned for Python 3.14",
    ),
    "no_python": ({}, {"python_version": ""}, False, False, False, "python3, which installs the pinned pyarrow"),
    "arrow_too_new": (
        {"pyarrow_version": "26.0.1"},
        {},
        False,
        False,
        False,
        "pyarrow 26.0.1 carries Arrow 26, pg_strom 6.1 builds with Arrow 21 to 25",
    ),
    "arm": ({}, {"architecture": "aarch64"}, False, False, False, "runs on x86_64 only, this host is aarch64"),
    "no_libcuda": ({}, {"libcuda": ""}, False, False, False, "no libcuda.so to link pg_strom against"),
    "unknown_release": ({"version": "7.0"}, {}, False, False, False, "pg_strom 7.0 is not a release"),
    "test_library_stands_in": ({"test_library": True}, {"gpu": NO_GPU, "libcuda": ""}, True, False, False, None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_decision_table(name: str) -> None:
    request_changes, host_changes, enabled, build, cuda_install, blocker = CASES[name]
    result = decide(dataclasses.replace(AUTO, **request_changes), dataclasses.replace(GPU_HOST, **host_changes))
    assert (result["enabled"], result["build"], result["cuda_install"]) == (enabled, build, cuda_install), result
    assert result["error"] == ""
    if blocker is None:
        assert result["blockers"] == [] or not enabled
    else:
        assert len(result["blockers"]) >= 1 and any(blocker in reason for reason in result["blockers"]), result
        assert blocker in result["notice"] and "\n" not in result["notice"]


def test_a_host_built_without_a_gpu_says_so() -> None:
    request = dataclasses.replace(AUTO, build_without_gpu=True)
    result = decide(request, dataclasses.replace(GPU_HOST, gpu=NO_GPU_TOOLKIT, libcuda=STUB_LIBCUDA))
    assert result["notice"].endswith("(built all the same, as postgresql_pg_strom_build_without_gpu asks)")


def test_required_pg_strom_fails_with_every_reason_in_one_line() -> None:
    request = dataclasses.replace(AUTO, mode="true")
    result = decide(request, dataclasses.replace(GPU_HOST, gpu=NO_GPU, postgresql_version="14", libcuda=""))
    assert not result["enabled"] and not result["build"]
    assert "\n" not in result["error"]
    assert result["error"].startswith("postgresql_pg_strom is true but this host cannot run pg_strom: no NVIDIA GPU")
    assert "PostgreSQL 14 is older than 15" in result["error"]
    assert result["error"].endswith("Nothing was changed.")
    assert result["notice"] == ""


def test_required_pg_strom_on_a_usable_host_is_enabled() -> None:
    result = decide(dataclasses.replace(AUTO, mode=True), GPU_HOST)
    assert result["mode"] == "true" and result["enabled"] and result["error"] == ""


def test_false_never_builds_nor_enables() -> None:
    result = decide(dataclasses.replace(AUTO, mode=False), GPU_HOST)
    assert (result["enabled"], result["build"], result["blockers"], result["notice"]) == (False, False, [], "")


def test_a_withdrawal_holds_until_what_pg_strom_depends_on_changes() -> None:
    current = fingerprint(H100, "abc")
    record = {"since": "2026-12-01T10:00:00Z", "reason": "could not load library", "fingerprint": current}
    withdrawn = dataclasses.replace(GPU_HOST, library_checksum="abc", withdrawal=record)
    result = decide(AUTO, withdrawn)
    assert result["withdrawn"] and not result["enabled"] and not result["build"]
    assert result["blockers"] == [] and result["notice"] == ""
    required = decide(dataclasses.replace(AUTO, mode="true"), withdrawn)
    assert "it was withdrawn on 2026-12-01T10:00:00Z because PostgreSQL did not start with it" in required["error"]
    # A rebuilt library (another checksum) is tried again.
    rebuilt = decide(AUTO, dataclasses.replace(withdrawn, library_checksum="def"))
    assert rebuilt["enabled"] and not rebuilt["withdrawn"]


def test_fingerprint_follows_driver_toolkit_gpus_and_library() -> None:
    base = fingerprint(H100, "abc")
    assert base == fingerprint(dict(H100), "abc")
    assert base != fingerprint({**H100, "driver_version": "590.1"}, "abc")
    assert base != fingerprint({**H100, "cuda_toolkit_version": "13.1.0"}, "abc")
    assert base != fingerprint(H100, "")
    assert fingerprint(NO_GPU, "") == fingerprint({}, "")


@pytest.mark.parametrize(("given", "mode"), [("auto", "auto"), (True, "true"), ("yes", "true"), (False, "false")])
def test_modes_from_yaml(given: object, mode: str) -> None:
    assert normalize_mode(given) == mode


@pytest.mark.parametrize("given", ["maybe", "", None, 2])
def test_unknown_modes_are_refused_by_name(given: object) -> None:
    with pytest.raises(ValueError, match="postgresql_pg_strom must be auto, true or false"):
        normalize_mode(given)


def test_pkgconfig_files_point_into_the_wheel() -> None:
    files = pkgconfig_files("/opt/pg_strom/arrow/lib/python3.13/site-packages/pyarrow", "22.0.0")
    assert sorted(files) == ["arrow.pc", "parquet.pc"]
    assert "libdir=/opt/pg_strom/arrow/lib/python3.13/site-packages/pyarrow\n" in files["arrow.pc"]
    assert "Libs: -L${libdir} -lparquet -larrow\n" in files["parquet.pc"]
    assert "Cflags: -I${includedir}\n" in files["arrow.pc"] and "Version: 22.0.0\n" in files["parquet.pc"]


def test_arrow_library_suffix() -> None:
    assert arrow_soversion("22.0.0") == "2200"
    assert arrow_soversion("21.1") == "2101"
    with pytest.raises(ValueError):
        arrow_soversion("22")


def test_make_params_carry_the_includes_and_the_link_directory() -> None:
    params = make_params("/usr/lib/postgresql/17/bin/pg_config", "/usr/local/cuda", ["/a/include", "/b"], "/src/link")
    assert params["PGSTROM_FLAGS_CUSTOM"] == "-I/a/include -I/b"
    assert params["PG_CXXFLAGS"] == "-std=c++20 -Wno-sign-compare" and params["with_llvm"] == "no"
    assert params["CUDA_LPATH"] == "/src/link"
    assert "CUDA_LPATH" not in make_params("pg_config", "/usr/local/cuda", [])


PIP_REFUSAL = """Collecting pyarrow==22.0.0 (from -r /opt/pg_strom/requirements.txt (line 1))
  Downloading pyarrow-22.0.0-cp313-cp313-manylinux_2_28_x86_64.whl (47.7 MB)
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, \
please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    pyarrow==22.0.0 from https://files.example/packages/pyarrow-22.0.0-cp313-cp313-manylinux_2_28_x86_64.whl \
(from -r /opt/pg_strom/pyarrow-22.0.0/requirements.txt (line 1)):
        Expected sha256 0000000000000000000000000000000000000000000000000000000000000000
             Got        e0a15757fccb38c410947df156f9749ae4a3c89b2393741a50521f39a8cf202a
"""


def test_a_pip_hash_refusal_names_the_file_in_one_line() -> None:
    line = pip_hash_mismatch(PIP_REFUSAL)
    assert line.startswith("pyarrow-22.0.0-cp313-cp313-manylinux_2_28_x86_64.whl (pyarrow==22.0.0) does not match")
    assert "Expected sha256 0000" in line and "Got e0a15757" in line and "\n" not in line
    assert pip_hash_mismatch("ERROR: No matching distribution found for pyarrow==22.0.0") == ""
