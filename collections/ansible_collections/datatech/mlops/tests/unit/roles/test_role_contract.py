"""Each role's defaults and argument specs agree (a required variable has none), so validation cannot drift from
what the role reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if p.is_dir())


def specs(role_dir: Path) -> dict:
    """Options of every entry point (a role such as platform_ca has more than main)."""
    entries = yaml.safe_load((role_dir / "meta/argument_specs.yml").read_text())["argument_specs"]
    return {name: spec for entry in entries.values() for name, spec in entry.get("options", {}).items()}


@pytest.mark.parametrize("role_dir", ROLE_DIRS, ids=lambda p: p.name)
def test_every_default_is_specified_commented_and_prefixed(role_dir: Path) -> None:
    text = (role_dir / "defaults/main.yml").read_text()
    defaults = yaml.safe_load(text) or {}
    options = specs(role_dir)
    # A required variable has no default: the caller gives it, and the argument specs refuse a run without it.
    required = {name for name, spec in options.items() if spec.get("required")}
    assert not required & set(defaults), f"required yet defaulted: {sorted(required & set(defaults))}"
    assert not [name for name in required if "default" in options[name]], "a required option has a default"
    assert set(defaults) == set(options) - required, "defaults/main.yml and the argument specs list other variables"
    lines = text.splitlines()
    for name in defaults:
        assert name.startswith(f"{role_dir.name}_"), f"{name} lacks the role prefix"
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
        assert lines[index - 1].startswith("# "), f"{name} has no one-line comment above it"
        spec = options[name]
        assert "type" in spec and spec.get("description"), f"{name} needs a type and a description"
        if "default" in spec and "{{" not in str(defaults[name]):
            assert spec["default"] == defaults[name], f"{name}: default differs between defaults and specs"
