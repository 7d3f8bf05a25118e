"""Whether pg_strom is built and preloaded on a host, and how it is built: the postgresql role's one source for both.

decide() is a pure function of what the role was asked for and what the host has, so every case is a row of a unit
test; the pg_strom_facts module feeds it the host's side and the role only acts on its answer.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

# Library name pg_strom is preloaded as.
LIBRARY = "$libdir/pg_strom"


@dataclass(frozen=True)
class Release:
    """What one pg_strom release needs, from its release notes and source."""

    min_postgresql: int
    max_postgresql: int
    min_cuda: str
    # Arrow/Parquet C++ majors its parquet_read.cpp compiles against: 6.1 needs 21 and calls the Status-returning
    # parquet::arrow::FileReader::Make, deprecated in 23 and removed in 26 (read from each pyarrow's reader.h).
    arrow_min: int
    arrow_max: int
    architectures: tuple = ("x86_64",)


RELEASES = {
    "6.1": Release(min_postgresql=15, max_postgresql=18, min_cuda="13.0", arrow_min=21, arrow_max=25),
}


@dataclass(frozen=True)
class Request:
    """What the role was asked for (postgresql_pg_strom* variables)."""

    mode: str  # auto | true | false
    version: str = "6.1"
    min_compute_capability: str = "7.5"
    cuda_install: bool = False
    cuda_install_version: str = "13.0"
    build_without_gpu: bool = False
    pyarrow_version: str = "22.0.0"
    # Python versions ("3.13") a pyarrow wheel sha256 is pinned for.
    pyarrow_pythons: tuple = ()
    # Tests only: a library stands in for a build, so the hardware and the build's needs are not asked for.
    test_library: bool = False


@dataclass(frozen=True)
class Host:
    """What the host has (the pg_strom_facts module reads it)."""

    gpu: dict
    postgresql_version: str
    python_version: str = ""
    architecture: str = "x86_64"
    # sha1 of the library preloaded as pg_strom; empty when it is not there.
    library_checksum: str = ""
    # The withdrawal recorded when PostgreSQL did not start with pg_strom ({} when none).
    withdrawal: dict = field(default_factory=dict)
    # The libcuda.so a build links against: the NVIDIA driver's, else the CUDA toolkit's stub; empty when neither.
    libcuda: str = ""


def normalize_mode(value: object) -> str:
    """auto, true or false from what YAML gives (a bool or a string); anything else raises ValueError."""
    text = str(value).strip().lower()
    aliases = {"yes": "true", "on": "true", "1": "true", "no": "false", "off": "false", "0": "false"}
    text = aliases.get(text, text)
    if text not in ("auto", "true", "false"):
        raise ValueError(f"postgresql_pg_strom must be auto, true or false, not {value!r}")
    return text


def version_tuple(text: str) -> tuple:
    """'13.0.88' -> (13, 0, 88); parts that are not numbers end the tuple."""
    parts = []
    for part in str(text).split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def fingerprint(gpu: dict, library_checksum: str) -> str:
    """What pg_strom depends on: a recorded withdrawal holds until one of these changes."""
    names = ",".join(device.get("name", "") for device in gpu.get("devices", []))
    text = " ".join(
        [gpu.get("driver_version", ""), gpu.get("cuda_toolkit_version", ""), names, library_checksum or "missing"]
    )
    return hashlib.sha1(text.encode()).hexdigest()


def _cuda_needed(request: Request, gpu: dict, release: Release) -> bool:
    """Working GPUs whose CUDA toolkit is missing or too old get one when postgresql_pg_strom_cuda_install asks."""
    if not (request.cuda_install and gpu.get("gpu_usable")):
        return False
    toolkit = gpu.get("cuda_toolkit_version") or "0"
    return not gpu.get("usable") or version_tuple(toolkit) < version_tuple(release.min_cuda)


def build_blockers(request: Request, host: Host, release: Release, cuda_needed: bool) -> list:
    """Why pg_strom cannot be built on this host; empty when it can."""
    found = []
    wanted = f"pg_strom {request.version}"
    if host.architecture not in release.architectures:
        found.append(f"{wanted} runs on {', '.join(release.architectures)} only, this host is {host.architecture}")
    pg = version_tuple(host.postgresql_version)[:1]
    if pg and pg[0] < release.min_postgresql:
        found.append(
            f"PostgreSQL {host.postgresql_version} is older than {release.min_postgresql}, the oldest server {wanted} "
            "builds against (use Debian 13, or postgresql_apt_repository: pgdg with a newer postgresql_version)"
        )
    elif pg and pg[0] > release.max_postgresql:
        found.append(
            f"PostgreSQL {host.postgresql_version} is newer than {release.max_postgresql}, the newest server {wanted} "
            f"supports (set postgresql_version to {release.max_postgresql} or older)"
        )
    toolkit = host.gpu.get("cuda_toolkit_version", "")
    install = (
        f"set postgresql_pg_strom_cuda_install: true to install CUDA {request.cuda_install_version} from NVIDIA's "
        "apt repository"
    )
    if cuda_needed:
        if version_tuple(request.cuda_install_version) < version_tuple(release.min_cuda):
            found.append(
                f"postgresql_pg_strom_cuda_version {request.cuda_install_version} is older than {release.min_cuda}, "
                f"the oldest CUDA {wanted} builds with"
            )
    elif not host.gpu.get("nvcc"):
        found.append(f"the CUDA toolkit is missing: no bin/nvcc under postgresql_pg_strom_cuda_home ({install})")
    elif toolkit and version_tuple(toolkit) < version_tuple(release.min_cuda):
        found.append(
            f"CUDA toolkit {toolkit} is older than {release.min_cuda}, the oldest {wanted} builds with ({install})"
        )
    arrow = version_tuple(request.pyarrow_version)[:1]
    if not arrow or not release.arrow_min <= arrow[0] <= release.arrow_max:
        found.append(
            f"pyarrow {request.pyarrow_version} carries Arrow {arrow[0] if arrow else '?'}, {wanted} builds with "
            f"Arrow {release.arrow_min} to {release.arrow_max} (set postgresql_pg_strom_pyarrow_version)"
        )
    if not host.libcuda:
        found.append(
            "no libcuda.so to link pg_strom against: neither the NVIDIA driver's libcuda.so.1 nor the CUDA "
            "toolkit's lib64/stubs/libcuda.so is on this host"
        )
    if not host.python_version:
        found.append("python3, which installs the pinned pyarrow wheel, is missing on this host")
    elif host.python_version not in request.pyarrow_pythons:
        found.append(
            f"no sha256 of the pyarrow {request.pyarrow_version} wheel is pinned for Python {host.python_version} "
            "(add the manylinux x86_64 wheel's sha256 from PyPI to postgresql_pg_strom_pyarrow_sha256)"
        )
    return found


def run_blockers(request: Request, host: Host) -> list:
    """Why a pg_strom build could not run here: PostgreSQL would not start with it preloaded."""
    gpu = host.gpu
    if not gpu.get("gpu_usable"):
        return [gpu.get("reason") or "no usable NVIDIA GPU"]
    found = []
    capability = gpu.get("min_compute_capability") or "0"
    if version_tuple(capability) < version_tuple(request.min_compute_capability):
        found.append(f"GPU compute capability {capability} is below {request.min_compute_capability}")
    return found


def decide(request: Request, host: Host) -> dict:
    """Whether pg_strom is built and preloaded, what is missing, and what to tell the operator."""
    mode = normalize_mode(request.mode)
    release = RELEASES.get(request.version)
    current = fingerprint(host.gpu, host.library_checksum)
    withdrawn = bool(host.withdrawal) and host.withdrawal.get("fingerprint") == current
    result = {
        "mode": mode,
        "enabled": False,
        "build": False,
        "cuda_install": False,
        "blockers": [],
        "withdrawn": withdrawn,
        "fingerprint": current,
        "error": "",
        "notice": "",
    }
    if mode == "false":
        return result
    if release is None:
        known = ", ".join(sorted(RELEASES))
        blockers = [f"pg_strom {request.version} is not a release this collection knows how to build (known: {known})"]
        cuda_needed = False
        building = []
    elif request.test_library:
        blockers, cuda_needed, building = [], False, []
    else:
        cuda_needed = _cuda_needed(request, host.gpu, release)
        building = build_blockers(request, host, release, cuda_needed)
        blockers = run_blockers(request, host) + building
    result["blockers"] = [reason for reason in blockers if reason]
    result["enabled"] = not result["blockers"] and not withdrawn
    result["build"] = (
        result["enabled"] or (request.build_without_gpu and release is not None and not building)
    ) and not request.test_library
    result["cuda_install"] = cuda_needed and result["build"]
    if mode == "true" and not result["enabled"]:
        why = "; ".join(result["blockers"]) if result["blockers"] else withdrawal_text(host.withdrawal)
        result["error"] = (
            f"postgresql_pg_strom is true but this host cannot run pg_strom: {why}. Install the NVIDIA driver, "
            "nvidia-smi and the CUDA toolkit on a GPU host, or set postgresql_pg_strom to auto or false. "
            "Nothing was changed."
        )
    elif result["blockers"]:
        built = " (built all the same, as postgresql_pg_strom_build_without_gpu asks)" if result["build"] else ""
        result["notice"] = f"{'; '.join(result['blockers'])}{built}"
    return result


def withdrawal_text(withdrawal: dict) -> str:
    return (
        f"it was withdrawn on {withdrawal.get('since', '')} because PostgreSQL did not start with it "
        f"({withdrawal.get('reason', '')}); fix the GPU, driver or pg_strom build, or delete the withdrawal record "
        "to try again"
    )


def arrow_soversion(pyarrow_version: str) -> str:
    """The suffix of the wheel's libraries: pyarrow 22.0.0 ships libarrow.so.2200."""
    parts = version_tuple(pyarrow_version)
    if len(parts) < 2:
        raise ValueError(f"pyarrow version {pyarrow_version!r} is not MAJOR.MINOR[.PATCH]")
    return f"{parts[0]}{parts[1]:02d}"


def pkgconfig_files(package_dir: str, pyarrow_version: str) -> dict:
    """arrow.pc and parquet.pc for the libraries and headers inside an installed pyarrow package (it ships none)."""
    files = {}
    for name, libs in (("arrow", "-larrow"), ("parquet", "-lparquet -larrow")):
        files[f"{name}.pc"] = "\n".join(
            [
                f"# Written by the datatech.mlops.postgresql role: Apache {name} C++ as the pyarrow wheel ships it.",
                f"libdir={package_dir}",
                f"includedir={package_dir}/include",
                "",
                f"Name: {name}",
                f"Description: Apache {name} C++ from pyarrow {pyarrow_version}",
                f"Version: {pyarrow_version}",
                f"Libs: -L${{libdir}} {libs}",
                "Cflags: -I${includedir}",
                "",
            ]
        )
    return files


def make_params(pg_config: str, cuda_home: str, include_dirs: list, cuda_link_dir: str = "") -> dict:
    """make variables of pg_strom's src/Makefile for this server, toolkit and Arrow.

    Arrow's headers need C++20 (6.1 asks for C++17); LLVM bitcode is skipped, pg_strom does not use JIT. The Makefile
    overwrites PG_CXXFLAGS after adding pkg-config's include flags, so the include directories go through
    PGSTROM_FLAGS_CUSTOM. CUDA_LPATH points the link at a directory holding libcuda.so when the driver has none.
    """
    params = {
        "PG_CONFIG": pg_config,
        "CUDA_PATH": cuda_home,
        "PG_CXXFLAGS": "-std=c++20 -Wno-sign-compare",
        "PGSTROM_FLAGS_CUSTOM": " ".join("-I" + path for path in include_dirs),
        "with_llvm": "no",
    }
    if cuda_link_dir:
        params["CUDA_LPATH"] = cuda_link_dir
    return params


# "    pyarrow==22.0.0 from https://.../pyarrow-22.0.0-cp313-....whl (from -r requirements.txt (line 1)):"
PIP_HASH_LINE = re.compile(r"^\s*(\S+) from (\S+?)(?: \(from .*\))?:?\s*$")


def pip_hash_mismatch(output: str) -> str:
    """The file and hashes of pip's --require-hashes refusal, in one line; empty when the output has none."""
    if "DO NOT MATCH THE HASHES" not in output:
        return ""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        match = PIP_HASH_LINE.match(line)
        if not match:
            continue
        detail = " ".join(" ".join(part.split()) for part in lines[index + 1 : index + 3] if part.strip())
        return "{} ({}) does not match its pinned sha256: {}".format(
            match.group(2).rsplit("/", 1)[-1],
            match.group(1),
            detail,
        )
    return "a downloaded file does not match its pinned sha256"
