"""Shared fixtures: the checkout's root and the collection's plugins on the import path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections/ansible_collections/datatech/mlops"
sys.path.insert(0, str(COLLECTION / "plugins/modules"))
sys.path.insert(0, str(COLLECTION / "plugins/filter"))


@pytest.fixture
def root() -> Path:
    return ROOT
