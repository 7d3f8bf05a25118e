"""Shared fixtures: the checkout's root and the collection's plugins on the import path."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlopsctl.lab.config import RELEASES, LocalConfig, parse_local
from mlopsctl.lab.engine import EngineError, detect_engine

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections/ansible_collections/datatech/mlops"
# What the Debian release the local hosts run by default ships.
PG_MAJOR = RELEASES[LocalConfig().distribution].postgresql
PYTHON = RELEASES[LocalConfig().distribution].python


# Markers of tests that boot real hosts: they need root and a container engine (`docker`: a Docker engine).
ENGINE_MARKERS = ("hosts", "platform", "docker")


def missing_for_real_hosts(wanted: str = "auto") -> str | None:
    """Why this machine cannot boot test hosts on the wanted engine, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (the test hosts are rootful containers): run as root"
    try:
        detect_engine(wanted)
    except EngineError as exc:
        return f"needs a container engine: {exc}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under CI=true a test that cannot boot its hosts fails; elsewhere it is skipped with the reason."""
    if not any(item.get_closest_marker(name) for name in ENGINE_MARKERS):
        return
    why = missing_for_real_hosts("docker" if item.get_closest_marker("docker") else "auto")
    if why is None:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true and this test {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture
def root() -> Path:
    return ROOT


def hosts_config(base: Path, label: str, subnet: str, hosts: dict[str, dict]) -> LocalConfig:
    """Settings for real test hosts on a network and label of their own, trusting this machine's CA bundle."""
    ca = base / "ca.pem"
    ca.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    raw = {"network": label, "label": label, "subnet": subnet, "extra_ca_files": [str(ca)], "hosts": hosts}
    return parse_local(raw, base)


def unq(value: Any) -> Any:
    """python-hcl2 keeps HCL's quotes and ${} around values; strip them for comparisons."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("${") and value.endswith("}"):
            value = value[2:-1]
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
    return value


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)), None)


@pytest.fixture(scope="session")
def local_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a Unix socket (Debian's server packages), as its DSN."""
    if PG_BIN is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
    bindir = PG_BIN.parent
    workdir = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(workdir, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = workdir / "data"
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                   capture_output=True)  # fmt: skip
    options = f"-k {workdir} -c listen_addresses='' -c fsync=off"
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w",
                    "start"], check=True, capture_output=True)  # fmt: skip
    try:
        yield f"host={workdir} user=postgres dbname=postgres"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)


def psql(dsn: str, sql: str) -> str:
    """One statement through psql; its unaligned, tuples-only output."""
    return subprocess.run(["psql", "-X", "-A", "-t", "-d", dsn, "-c", sql], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
