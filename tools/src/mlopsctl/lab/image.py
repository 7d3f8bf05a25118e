"""The local hosts' base image: Debian with systemd, built with debootstrap (no registry needed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mlopsctl.errors import CommandError
from mlopsctl.lab.config import LocalConfig
from mlopsctl.lab.engine import Engine, EngineError, detect_engine
from mlopsctl.progress import run, run_long, say, step

# What every test host needs before Ansible can manage it (python3-apt saves each host installing it); Ansible
# reaches the hosts over SSH, like real VMs.
PACKAGES = (
    "python3",
    "python3-apt",
    "systemd",
    "systemd-sysv",
    "sudo",
    "iproute2",
    "procps",
    "ca-certificates",
    "openssh-server",
)
IMAGE_REPO = "localhost/mlops-base"
# Files laid over the debootstrap tree (path -> content); part of the image tag like the package list.
OVERLAY = {
    # Keys are made per host at first boot: an image with baked-in keys would give every host the same identity.
    "etc/systemd/system/ssh.service.d/host-keys.conf": (
        "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n"
    ),
    "etc/ssh/sshd_config.d/mlops.conf": "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n",
}


def image_tag(distribution: str) -> str:
    """The tag changes whenever the package list or the overlay does, so a stale cached image is never reused."""
    recipe = ",".join(PACKAGES) + "".join(f"{path}={text}" for path, text in sorted(OVERLAY.items()))
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:8]
    return f"{IMAGE_REPO}:{distribution}-{digest}"


def debootstrap_cmd(distribution: str, target: Path, mirror: str) -> list[str]:
    return [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        distribution,
        str(target),
        mirror,
    ]


def image_exists(engine: Engine, tag: str) -> bool:
    return run(engine.cmd("image", "inspect", tag), check=False).returncode == 0


def copied_from_other_engine(engine: Engine, tag: str) -> bool:
    """Whether the other engine (podman or Docker) had the image and handed it over: a save and a load take seconds,
    a debootstrap minutes. The tag holds the package list and overlay, so the same tag is the same image."""
    try:
        other = detect_engine("docker" if engine.name == "podman" else "podman")
    except EngineError:
        return False
    if not image_exists(other, tag):
        return False
    with step(f"Copying base image {tag} from {other.name} to {engine.name}"):
        save = subprocess.Popen(other.cmd("save", tag), stdout=subprocess.PIPE)
        loaded = subprocess.run(engine.cmd("load"), stdin=save.stdout, capture_output=True, text=True)
        save.wait()
    return loaded.returncode == 0 and save.returncode == 0 and image_exists(engine, tag)


def ensure_image(engine: Engine, cfg: LocalConfig, log_dir: Path) -> str:
    """Return the base image tag, building it first when it is not cached yet (or copying it from the other engine)."""
    tag = image_tag(cfg.distribution)
    if image_exists(engine, tag) or copied_from_other_engine(engine, tag):
        return tag
    if shutil.which("debootstrap") is None:
        raise CommandError("debootstrap is not installed: run `apt-get install -y debootstrap` (or `make prereqs`)")
    if os.geteuid() != 0:
        raise CommandError("building the base image with debootstrap needs root: run mlopsctl as root")
    title = f"Building base image {tag} with debootstrap (Debian {cfg.distribution}, about a minute)"
    with step(title), tempfile.TemporaryDirectory(prefix="mlops-rootfs-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run_long(
            debootstrap_cmd(cfg.distribution, rootfs, cfg.mirror),
            log_dir / f"debootstrap-{cfg.distribution}.log",
            "debootstrap",
            f"check that {cfg.mirror} is reachable (set local.mirror to a reachable Debian mirror)",
        )
        for leftover in (rootfs / "var/cache/apt/archives").glob("*.deb"):
            leftover.unlink()
        # An empty machine-id makes systemd give every container its own.
        (rootfs / "etc/machine-id").write_text("")
        for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
            key.unlink()
        for rel, text in OVERLAY.items():
            (rootfs / rel).parent.mkdir(parents=True, exist_ok=True)
            (rootfs / rel).write_text(text)
        say("    importing the root filesystem into the engine")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            engine.cmd("import", "--change", "CMD /sbin/init", "-", tag),
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise CommandError(f"importing the base image failed: {imported.stderr.strip()[-800:]}")
    return tag
