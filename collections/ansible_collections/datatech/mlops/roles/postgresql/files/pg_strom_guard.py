# Managed by the datatech.mlops.postgresql role: changes here are overwritten.
"""pg_strom boot guard, run by systemd before each start of postgresql@<version>-<cluster> (argument %i).

Without a usable NVIDIA GPU, or with a pg_strom library that cannot load, PostgreSQL would not start at all: the guard
then writes a conf.d override that leaves pg_strom out of shared_preload_libraries, so the server starts on the CPU,
and says why in the journal. With the GPU back, the next start removes the override. "Usable" is decided by gpu.py
beside this file, the same code the role's gpu_facts and pg_strom_facts modules run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

PRELOAD_RE = re.compile(r"^\s*shared_preload_libraries\s*=\s*'([^']*)'", re.MULTILINE)


def preloaded(conf_file: str) -> list:
    """The libraries of the last shared_preload_libraries line of postgresql.conf."""
    try:
        with open(conf_file, encoding="utf-8") as handle:
            found = PRELOAD_RE.findall(handle.read())
    except OSError:
        return []
    return [part.strip() for part in found[-1].split(",") if part.strip()] if found else []


def library_problem(libfile: str) -> str:
    """Why the library cannot load, or an empty string."""
    if not os.access(libfile, os.R_OK):
        return f"{libfile} is missing"
    done = subprocess.run(["ldd", libfile], capture_output=True, text=True, check=False)
    missing = " ".join(line.split()[0] for line in done.stdout.splitlines() if "not found" in line)
    return f"{libfile} needs libraries that are missing: {missing}" if missing else ""


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", help="<version>-<cluster>, as systemd's %%i")
    parser.add_argument("--library", default="$libdir/pg_strom")
    parser.add_argument("--cuda-home", default="/usr/local/cuda")
    args = parser.parse_args(argv)
    version, cluster = args.instance.split("-", 1) if "-" in args.instance else (args.instance, "main")
    conf = f"/etc/postgresql/{version}/{cluster}"
    override = f"{conf}/conf.d/zz_pg_strom_guard.conf"
    preload = preloaded(f"{conf}/postgresql.conf")
    if args.library not in preload:
        if os.path.exists(override):
            os.unlink(override)
        return 0
    # gpu.py is copied beside this file: the role's own GPU detection.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gpu

    facts = gpu.gather("/sys", "/proc", "nvidia-smi", args.cuda_home, gpu.run_subprocess)
    libfile = args.library.replace("$libdir", f"/usr/lib/postgresql/{version}/lib") + ".so"
    problem = facts["reason"] if not facts["usable"] else library_problem(libfile)
    if not problem:
        if os.path.exists(override):
            os.unlink(override)
        return 0
    without = ",".join(lib for lib in preload if lib != args.library)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(override + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(f"# Written by the pg_strom boot guard at {stamp}: {problem}\n")
        handle.write(f"shared_preload_libraries = '{without}'\n")
    os.chmod(override + ".tmp", 0o644)
    os.replace(override + ".tmp", override)
    print(
        "pg_strom boot guard: pg_strom left out of shared_preload_libraries for this start, PostgreSQL runs on the "
        f"CPU: {problem}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
