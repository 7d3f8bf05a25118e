"""Each role's defaults, argument specs and README agree, so docs and validation cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlopsctl.docs import ROLES, role_readme

ROLE_DIRS = sorted(p for p in (Path(__file__).resolve().parents[2] / ROLES).iterdir() if p.is_dir())


def specs(role_dir: Path) -> dict:
    """Options of every entry point (a role such as platform_ca has more than main)."""
    entries = yaml.safe_load((role_dir / "meta/argument_specs.yml").read_text())["argument_specs"]
    return {name: spec for entry in entries.values() for name, spec in entry.get("options", {}).items()}


@pytest.mark.parametrize("role_dir", ROLE_DIRS, ids=lambda p: p.name)
def test_readme_is_generated_from_the_specs(role_dir: Path) -> None:
    assert (role_dir / "README.md").read_text() == role_readme(role_dir), "run `mlopsctl docs`"


@pytest.mark.parametrize("role_dir", ROLE_DIRS, ids=lambda p: p.name)
def test_every_default_is_specified_commented_and_prefixed(role_dir: Path) -> None:
    text = (role_dir / "defaults/main.yml").read_text()
    defaults = yaml.safe_load(text) or {}
    options = specs(role_dir)
    assert set(defaults) == set(options), "defaults/main.yml and meta/argument_specs.yml list different variables"
    lines = text.splitlines()
    for name in defaults:
        assert name.startswith(f"{role_dir.name}_"), f"{name} lacks the role prefix"
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
        assert lines[index - 1].startswith("# "), f"{name} has no one-line comment above it"
        spec = options[name]
        assert "type" in spec and spec.get("description"), f"{name} needs a type and a description"
        if "default" in spec and "{{" not in str(defaults[name]):
            assert spec["default"] == defaults[name], f"{name}: default differs between defaults and specs"
