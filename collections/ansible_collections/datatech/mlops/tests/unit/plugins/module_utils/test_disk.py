"""module_utils/disk (module dir_fits): a tree measured as du measures it, and the room where a target lands."""

from __future__ import annotations

import os
import subprocess

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.disk import (
    Filesystem,
    Usage,
    deepest_existing,
    filesystem_of,
    lacking_room,
    tree_usage,
)


def test_a_tree_is_measured_as_du_measures_it(tmp_path):
    tree = tmp_path / "main"
    (tree / "base/1").mkdir(parents=True)
    (tree / "base/1/16384").write_bytes(os.urandom(200_000))
    (tree / "PG_VERSION").write_text("17\n")
    os.link(tree / "PG_VERSION", tree / "hardlink")
    (tree / "pg_wal").symlink_to(tmp_path)
    measured = tree_usage(str(tree))
    du_bytes = subprocess.run(["du", "-s", "--block-size=1", str(tree)], capture_output=True, text=True, check=True)
    du_inodes = subprocess.run(["du", "-s", "--inodes", str(tree)], capture_output=True, text=True, check=True)
    assert measured == Usage(bytes=int(du_bytes.stdout.split()[0]), files=int(du_inodes.stdout.split()[0]))


def test_a_target_that_does_not_exist_lands_on_its_deepest_existing_parent(tmp_path):
    assert deepest_existing(str(tmp_path / "a/b/c")) == str(tmp_path)
    fs = filesystem_of(str(tmp_path / "a/b/c"))
    stat = os.statvfs(tmp_path)
    # Other processes write meanwhile: the same filesystem, within a few MiB.
    assert abs(fs.bytes_free - stat.f_bavail * stat.f_frsize) < 64 * 1048576 and fs.inodes_total == stat.f_files
    assert os.path.ismount(fs.mount) and str(tmp_path).startswith(fs.mount)


SMALL = Filesystem(mount="/srv/small", bytes_free=16 * 1048576, inodes_free=1000, inodes_total=4000)


@pytest.mark.parametrize(
    ("usage", "fs", "lacking"),
    [
        (Usage(bytes=40 * 1048576, files=900), SMALL, True),  # too few bytes
        (Usage(bytes=15 * 1048576, files=900), SMALL, False),
        (Usage(bytes=int(15.5 * 1048576), files=900), SMALL, True),  # fits only without the 5% margin
        (Usage(bytes=1048576, files=990), SMALL, True),  # too few inodes with the margin
        (Usage(bytes=1048576, files=10**6), Filesystem("/", 10**12, 0, 0), False),  # no inode limit (btrfs)
    ],
)
def test_room_is_bytes_and_inodes_with_a_margin(usage, fs, lacking):
    assert lacking_room(usage, fs) is lacking
