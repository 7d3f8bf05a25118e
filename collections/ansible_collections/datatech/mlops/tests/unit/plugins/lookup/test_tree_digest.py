"""The tree_digest lookup through Ansible's plugin loader, as a playbook calls it."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader


def lookup(*terms, **kwargs):
    return lookup_loader.get("datatech.mlops.tree_digest").run(list(terms), variables={}, **kwargs)


def tree(root):
    (root / "dags/tests").mkdir(parents=True)
    (root / "dags/a.py").write_text("a = 1\n")
    (root / "dags/tests/test_a.py").write_text("assert True\n")
    return root / "dags"


def test_same_content_gives_the_same_digest_whatever_the_timestamps_and_modes(tmp_path):
    first = tree(tmp_path / "one")
    second = tree(tmp_path / "two")
    os.utime(second / "a.py", (0, 0))
    (second / "a.py").chmod(0o600)
    assert lookup(str(first)) == lookup(str(second))
    assert len(lookup(str(first))[0]) == 64


def test_a_changed_or_renamed_file_changes_the_digest(tmp_path):
    dags = tree(tmp_path)
    before = lookup(str(dags))
    (dags / "a.py").write_text("a = 2\n")
    changed = lookup(str(dags))
    (dags / "a.py").rename(dags / "b.py")
    assert len({before[0], changed[0], lookup(str(dags))[0]}) == 3


def test_excluded_files_do_not_count(tmp_path):
    dags = tree(tmp_path)
    excluded = lookup(str(dags), exclude=["tests", "tests/*"])
    (dags / "tests/test_a.py").write_text("assert 1\n")
    assert lookup(str(dags), exclude=["tests", "tests/*"]) == excluded
    assert lookup(str(dags)) != excluded


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(AnsibleLookupError, match="is not a directory"):
        lookup(str(tmp_path / "missing"))


def test_a_link_counts_by_its_target_and_what_it_points_at_is_never_read(tmp_path):
    tree = tmp_path / "dags"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")
    secret = tmp_path / "secret"
    secret.write_text("one\n")
    (tree / "leak.py").symlink_to(secret)
    before = lookup(str(tree))
    secret.write_text("two\n")  # what the link points at changes: the digest does not
    assert lookup(str(tree)) == before
    (tree / "leak.py").unlink()
    (tree / "leak.py").symlink_to(tmp_path / "elsewhere")
    assert lookup(str(tree)) != before
