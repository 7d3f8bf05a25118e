"""Which container engine runs the local hosts, and the command lines it needs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from mlopsctl.errors import CommandError
from mlopsctl.lab.config import HostSpec, LocalConfig

SSH_PORT = 22


class EngineError(CommandError):
    """The engine is missing or refused a command; the message says what to do."""


@dataclass(frozen=True)
class Engine:
    name: str  # podman | docker
    binary: str
    global_args: tuple[str, ...] = ()

    def cmd(self, *args: str) -> list[str]:
        return [self.binary, *self.global_args, *args]


def _docker_engine_answers(binary: str) -> bool:
    # The docker client is often present without a daemon; only a daemon that answers counts.
    result = subprocess.run([binary, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    return result.returncode == 0 and bool(result.stdout.strip())


def detect_engine(
    wanted: str,
    which: Callable[[str], str | None] = shutil.which,
    docker_answers: Callable[[str], bool] = _docker_engine_answers,
) -> Engine:
    """podman first (runc runtime where present), docker only when its daemon answers."""
    podman = which("podman") if wanted in ("auto", "podman") else None
    if podman:
        runc = which("runc")
        # crun fails on hybrid cgroups hosts; runc works on every host we know of.
        return Engine("podman", podman, ("--runtime", runc) if runc else ())
    docker = which("docker") if wanted in ("auto", "docker") else None
    if docker and docker_answers(docker):
        return Engine("docker", docker)
    if wanted == "podman":
        raise EngineError("podman is not installed: run `apt-get install -y podman runc` (or `make prereqs`)")
    if wanted == "docker":
        raise EngineError(
            "no Docker engine answers `docker info`: run `make prereqs ENGINE=docker` (installs Debian's docker.io "
            'unless a dockerd is there, and starts it), or set local.engine = "podman"'
        )
    raise EngineError(
        "no container engine: install podman (`apt-get install -y podman runc`, or `make prereqs`) "
        "or a Docker engine (`make prereqs ENGINE=docker`)"
    )


def run_args(engine: Engine, cfg: LocalConfig, spec: HostSpec, image: str, labels: dict[str, str]) -> list[str]:
    """The full `run` command line that boots one systemd host."""
    args = ["run", "--detach", "--name", spec.name, "--hostname", spec.name]
    args += ["--network", cfg.network, "--ip", spec.ip]
    # Lowered ulimits: the engine's defaults need CAP_SYS_RESOURCE, which build machines lack.
    args += ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    if engine.name == "podman":
        args += ["--systemd=always"]
    else:
        # What podman's --systemd=always does, by hand: systemd needs tmpfs mounts and to read the cgroup tree.
        # No --privileged: it fails where CAP_SYS_RESOURCE is missing, and systemd does not need it.
        args += ["--cgroupns=host", "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:ro"]
        args += ["--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp"]
    for key, value in sorted(labels.items()):
        args += ["--label", f"{key}={value}"]
    for machine_port, host_port in spec.publish:
        args += ["--publish", f"{cfg.publish_address}:{machine_port}:{host_port}"]
    # Ansible's SSH, on loopback whatever publish_address says (root logs in there); a port the engine picks, so
    # several sets of hosts never collide (`hosts up` reads it back: Docker picks a new one at every start).
    args += ["--publish", f"127.0.0.1::{SSH_PORT}"]
    args += [image, "/sbin/init"]
    return engine.cmd(*args)
