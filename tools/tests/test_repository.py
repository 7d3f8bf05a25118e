"""What a fresh clone gets: tracked symlinks stay inside the repository, tool environments are never tracked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def tracked_symlinks() -> list[str]:
    # `git ls-files -s` prints "MODE HASH STAGE\tPATH"; mode 120000 is a symlink.
    return [line.split("\t", 1)[1] for line in git("ls-files", "-s").splitlines() if line.startswith("120000 ")]


def test_the_links_the_layout_relies_on_are_tracked() -> None:
    links = tracked_symlinks()
    assert "playbooks/group_vars" in links
    assert "terraform/selectel/versions.tf" in links


@pytest.mark.parametrize("link", tracked_symlinks())
def test_every_tracked_symlink_points_inside_the_repository(link: str) -> None:
    path = ROOT / link
    target = path.resolve()
    assert target.is_relative_to(ROOT), f"{link} -> {path.readlink()} leaves the repository (a fresh clone lacks it)"
    assert target.exists(), f"{link} -> {path.readlink()} points at nothing"


@pytest.mark.parametrize("name", [".venv", ".venv-checkov", ".venv-dags", ".mlops", "site"])
def test_tool_environments_are_ignored_as_files_and_links_too(name: str) -> None:
    # `git check-ignore` with --no-index judges the name alone, whatever sits there now.
    result = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", name], check=False)
    assert result.returncode == 0, f"{name} is not ignored: a file or link of that name could be committed"
    assert name not in git("ls-files", "--", name).split(), f"{name} is tracked"


def test_no_tool_runs_from_a_world_writable_place() -> None:
    # Root executes what these files name: a path under /tmp could be planted by any local user.
    for rel in ("Makefile", "tools/checkov.sh", "tools/dags-env.sh", "tools/install-prereqs.sh", "tools/run-tests.sh"):
        text = (ROOT / rel).read_text()
        assert "/tmp/" not in text, f"{rel} uses /tmp for something root runs later"


def test_root_is_the_checkout() -> None:
    assert Path(git("rev-parse", "--show-toplevel").strip()).resolve() == ROOT


def test_whole_value_checks_end_with_backslash_z_so_a_trailing_line_break_is_refused() -> None:
    """A check `is match('^...$')` passes "x\\n" ($ matches before a final line break), which then reaches a config
    file as a second line: every anchored check of the roles and playbooks ends with \\Z instead."""
    files = [*sorted((ROOT / "collections/ansible_collections/datatech/mlops/roles").glob("*/tasks/*.yml")),
             *sorted((ROOT / "playbooks").glob("*.yml"))]  # fmt: skip
    anchored = [
        (path.relative_to(ROOT), pattern)
        for path in files
        for pattern in re.findall(r"""['"](\^[^'"]*)['"]""", path.read_text())
    ]
    assert anchored, "no anchored check found: the search is broken"
    loose = [(str(path), pattern) for path, pattern in anchored if pattern.endswith("$")]
    assert not loose, loose
