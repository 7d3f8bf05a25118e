"""Each role's README is what `mlopsctl docs` makes of its argument specs, so the docs cannot drift. The roles' own
contract (defaults against argument specs, tags, logins) is the collection's to test: its tests/unit/roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsctl.docs import ROLES, role_readme

ROLE_DIRS = sorted(p for p in (Path(__file__).resolve().parents[2] / ROLES).iterdir() if p.is_dir())


@pytest.mark.parametrize("role_dir", ROLE_DIRS, ids=lambda p: p.name)
def test_readme_is_generated_from_the_specs(role_dir: Path) -> None:
    assert (role_dir / "README.md").read_text() == role_readme(role_dir), "run `mlopsctl docs`"
