"""What the collection declares about itself: galaxy.yml depends on every collection its roles and plugins use, and
the README lists every role and plugin it ships."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

COLLECTION = Path(__file__).resolve().parents[2]
OWN = {"ansible.builtin", "ansible.legacy", "datatech.mlops"}
# A module, action group or include by its FQCN (task keys), a filter or lookup by its FQCN (in Jinja).
FQCN_KEY = re.compile(r"^(?:group/)?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+$")
FQCN_JINJA = re.compile(r"(?:\|\s*|(?:lookup|query|q)\(\s*['\"])([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+")


def shipped(pattern: str) -> list[Path]:
    """Files the tarball carries: the roles' molecule scenarios are left out (galaxy.yml build_ignore)."""
    return [p for p in COLLECTION.glob(pattern) if "molecule" not in p.relative_to(COLLECTION).parts]


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and (match := FQCN_KEY.match(key)):
                yield match.group(1)
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
    elif isinstance(node, str):
        yield from FQCN_JINJA.findall(node)


def used_collections() -> set[str]:
    used = set()
    for path in shipped("roles/*/*/*.yml"):
        used |= set(_walk(yaml.safe_load(path.read_text())))
    for path in shipped("roles/*/templates/*.j2"):
        used |= set(FQCN_JINJA.findall(path.read_text()))
    for path in shipped("plugins/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ansible_collections."):
                used.add(".".join(node.module.split(".")[1:3]))
    return used - OWN


def test_galaxy_yml_depends_on_every_collection_the_roles_and_plugins_use() -> None:
    used = used_collections()
    assert {"community.postgresql", "community.general", "community.crypto"} <= used
    dependencies = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["dependencies"]
    assert used == set(dependencies), f"used but not in galaxy.yml: {sorted(used - set(dependencies))}; " + (
        f"listed but unused: {sorted(set(dependencies) - used)}"
    )


def test_the_readme_lists_every_role_module_lookup_and_filter() -> None:
    readme = (COLLECTION / "README.md").read_text()
    names = [f"datatech.mlops.{p.name}" for p in (COLLECTION / "roles").iterdir() if p.is_dir()]
    names += [f"datatech.mlops.{p.stem}" for p in shipped("plugins/modules/*.py") + shipped("plugins/lookup/*.py")]
    for path in shipped("plugins/filter/*.py"):
        filters = next(
            node
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.FunctionDef) and node.name == "filters"
        )
        returned = next(node.value for node in ast.walk(filters) if isinstance(node, ast.Return))
        names += [key.value for key in returned.keys]
    assert names and not [name for name in names if f"`{name}`" not in readme]
