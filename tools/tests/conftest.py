"""Shared fixtures: the checkout's root and the collection's plugins on the import path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlopsctl.config import LocalConfig, parse_local

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections/ansible_collections/datatech/mlops"
sys.path.insert(0, str(COLLECTION / "plugins/modules"))
sys.path.insert(0, str(COLLECTION / "plugins/filter"))


@pytest.fixture
def root() -> Path:
    return ROOT


def hosts_config(base: Path, label: str, subnet: str, hosts: dict[str, dict]) -> LocalConfig:
    """Settings for real test hosts on a network and label of their own, trusting this machine's CA bundle."""
    ca = base / "ca.pem"
    ca.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    raw = {"network": label, "label": label, "subnet": subnet, "extra_ca_files": [str(ca)], "hosts": hosts}
    return parse_local(raw, base)
