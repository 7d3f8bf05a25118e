"""Whether a directory tree fits on the filesystem a target path lands on: sizes as du and df count them."""

from __future__ import annotations

import os
from dataclasses import dataclass

MIB = 1048576
# Room for what the tree grows by between the measurement and the copy (WAL written until the server stops).
MARGIN = 1.05


@dataclass(frozen=True)
class Usage:
    """Disk use of a tree: bytes of its blocks (du) and its inodes (du --inodes)."""

    bytes: int
    files: int


@dataclass(frozen=True)
class Filesystem:
    """Free space of the filesystem a path lands on (df), and where it is mounted."""

    mount: str
    bytes_free: int
    inodes_free: int
    inodes_total: int


def tree_usage(path: str) -> Usage:
    """Blocks and inodes of everything under path as du counts them: links not followed, hard links once."""
    seen: set = set()
    total = files = 0
    for root, dirs, names in os.walk(path):
        # os.walk lists links to directories with the directories and does not enter them: du counts the link.
        links = [name for name in dirs if os.path.islink(os.path.join(root, name))]
        for entry_path in [root, *(os.path.join(root, name) for name in [*names, *links])]:
            entry = os.lstat(entry_path)
            if (entry.st_dev, entry.st_ino) in seen:
                continue
            seen.add((entry.st_dev, entry.st_ino))
            total += entry.st_blocks * 512
            files += 1
    return Usage(bytes=total, files=files)


def deepest_existing(path: str) -> str:
    """The deepest existing directory at or above path: where a directory made there would land."""
    path = os.path.abspath(path)
    while not os.path.isdir(path):
        path = os.path.dirname(path)
    return path


def mount_point(path: str) -> str:
    path = os.path.realpath(path)
    while not os.path.ismount(path):
        path = os.path.dirname(path)
    return path


def filesystem_of(path: str) -> Filesystem:
    """df's view of the filesystem the (possibly missing) path would be created on."""
    existing = deepest_existing(path)
    stat = os.statvfs(existing)
    return Filesystem(
        mount=mount_point(existing),
        bytes_free=stat.f_bavail * stat.f_frsize,
        inodes_free=stat.f_favail,
        inodes_total=stat.f_files,
    )


def lacking_room(usage: Usage, fs: Filesystem, margin: float = MARGIN) -> bool:
    """The tree (plus the margin) does not fit: too few free bytes, or too few free inodes where inodes count."""
    if fs.bytes_free < int(usage.bytes * margin):
        return True
    # Filesystems without an inode limit (btrfs, tmpfs with nr_inodes=0) report 0 inodes in all.
    return fs.inodes_total != 0 and fs.inodes_free < int(usage.files * margin)
