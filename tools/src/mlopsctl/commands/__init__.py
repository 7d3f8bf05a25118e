"""One module per `mlopsctl` command: its `run(args)` (one function per action where a command has several) does
what the command does and returns the exit status; the parser and the error handling live in mlopsctl.cli."""

from mlopsctl.commands import (
    access,
    bench,
    converge,
    dags,
    db,
    docs,
    hosts,
    image,
    infra,
    k8s,
    release,
    screenshots,
    secrets,
    up,
)

__all__ = [
    "access",
    "bench",
    "converge",
    "dags",
    "db",
    "docs",
    "hosts",
    "image",
    "infra",
    "k8s",
    "release",
    "screenshots",
    "secrets",
    "up",
]
