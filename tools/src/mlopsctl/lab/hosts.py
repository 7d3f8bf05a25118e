"""Local test hosts: systemd containers on one private network, and their inventory."""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import re
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlopsctl.errors import CommandError
from mlopsctl.inventory import (
    DEPLOY_SSH_KEY,
    KNOWN_HOSTS,
    SSH_KEY,
    build_inventory,
    is_written_inventory,
    write_if_changed,
    write_inventory,
)
from mlopsctl.lab.config import HostSpec, LocalConfig
from mlopsctl.lab.engine import SSH_PORT, Engine, run_args
from mlopsctl.lab.image import ensure_image, image_exists, image_tag
from mlopsctl.progress import run, say, step

PROJECT_LABEL = "io.datatech.mlops.project"
SPEC_LABEL = "io.datatech.mlops.spec"
CA_DIR = "/usr/local/share/ca-certificates/mlops"
PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


@dataclass
class Report:
    changes: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.changes.append(what)
        say(f"    changed: {what}")


def spec_hash(engine: Engine, cfg: LocalConfig, spec: HostSpec, image: str) -> str:
    """A fingerprint of everything the host was created with; a new one means the host is stale."""
    args = run_args(engine, cfg, spec, image, {PROJECT_LABEL: cfg.label})
    return hashlib.sha256("\0".join(args[1:]).encode()).hexdigest()[:12]


def split_certificates(files: tuple[Path, ...]) -> dict[str, bytes]:
    """Every PEM certificate of the given files, one file each, named by content."""
    certs: dict[str, bytes] = {}
    for path in files:
        for block in PEM_RE.findall(path.read_bytes()):
            certs[f"extra-{hashlib.sha256(block).hexdigest()[:16]}.crt"] = block + b"\n"
    return dict(sorted(certs.items()))


def certificates_tar(certs: dict[str, bytes], manifest: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, body in {**certs, ".manifest": manifest.encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def inspect(engine: Engine, kind: str, name: str) -> dict | None:
    result = run(engine.cmd(kind, "inspect", name), check=False)
    if result.returncode != 0:
        return None
    data = json.loads(result.stdout)
    return data[0] if data else None


def _labels(obj: dict) -> dict[str, str]:
    return obj.get("Labels") or obj.get("labels") or obj.get("Config", {}).get("Labels") or {}


def routed_elsewhere(subnet: str, routes: list[dict]) -> str | None:
    """The route that already covers part of `subnet` on this machine (another engine's network, a VPN), or None."""
    wanted = ipaddress.IPv4Network(subnet)
    for route in routes:
        try:
            network = ipaddress.ip_network(route.get("dst", ""), strict=False)
        except ValueError:
            continue  # "default" and anything else that names no range
        if network.version == 4 and network.overlaps(wanted):
            return f"{route['dst']} on {route.get('dev', 'an unnamed device')}"
    return None


def machine_routes() -> list[dict]:
    result = run(["ip", "-j", "-4", "route", "show"], check=False)
    return json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else []


def ensure_network(engine: Engine, cfg: LocalConfig, report: Report) -> None:
    found = inspect(engine, "network", cfg.network)
    if found is None:
        # Engines check overlaps with their own networks only: a range podman and Docker both bridge breaks both.
        clash = routed_elsewhere(cfg.subnet, machine_routes())
        if clash:
            raise CommandError(
                f"local.subnet {cfg.subnet} overlaps {clash}, already routed on this machine (another engine's "
                "network?): set local.subnet to a free range"
            )
        run(
            engine.cmd(
                "network", "create", "--subnet", cfg.subnet, "--label", f"{PROJECT_LABEL}={cfg.label}", cfg.network
            )
        )
        report.add(f"network {cfg.network} ({cfg.subnet}) created")
        return
    if _labels(found).get(PROJECT_LABEL) != cfg.label:
        raise CommandError(
            f"a network named {cfg.network} exists that mlopsctl did not create: "
            "remove it or set local.network to another name"
        )
    subnets = [
        s.get("subnet") or s.get("Subnet") for s in found.get("subnets") or found.get("IPAM", {}).get("Config", [])
    ]
    if cfg.subnet not in subnets:
        raise CommandError(
            f"network {cfg.network} has subnet(s) {subnets}, config says {cfg.subnet}: "
            "run `mlopsctl hosts down` to recreate the hosts, or restore local.subnet"
        )


def ensure_host(engine: Engine, cfg: LocalConfig, spec: HostSpec, image: str, report: Report) -> None:
    wanted = spec_hash(engine, cfg, spec, image)
    found = inspect(engine, "container", spec.name)
    if found is None:
        run(run_args(engine, cfg, spec, image, {PROJECT_LABEL: cfg.label, SPEC_LABEL: wanted}))
        report.add(f"host {spec.name} created ({spec.ip})")
        return
    labels = _labels(found)
    if labels.get(PROJECT_LABEL) != cfg.label:
        raise CommandError(
            f"a container named {spec.name} exists that mlopsctl did not create: "
            "remove or rename it, or rename the host in mlopsctl.toml"
        )
    if labels.get(SPEC_LABEL) != wanted:
        raise CommandError(
            f"host {spec.name} was created with other settings (image, address or ports): "
            "run `mlopsctl hosts down` then `mlopsctl hosts up` to recreate the hosts "
            "(their data is lost), or restore the previous settings"
        )
    if not found.get("State", {}).get("Running"):
        run(engine.cmd("start", spec.name))
        report.add(f"host {spec.name} started")


def wait_booted(engine: Engine, name: str, timeout: int) -> None:
    """systemd reports running (or degraded: some unit failed, the host still works)."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        result = run(engine.cmd("exec", name, "systemctl", "is-system-running"), check=False)
        state = result.stdout.strip()
        if state in ("running", "degraded"):
            if state == "degraded":
                failed = run(engine.cmd("exec", name, "systemctl", "--failed", "--no-legend", "--plain"), check=False)
                say(f"    warning: {name} booted degraded; failed units: {failed.stdout.strip() or 'none listed'}")
            return
        time.sleep(1)
    logs = run(engine.cmd("logs", "--tail", "20", name), check=False)
    raise CommandError(
        f"host {name} did not finish booting within {timeout}s (systemd says {state or 'nothing'}).\n"
        f"Last log lines:\n{(logs.stdout + logs.stderr).strip()}\n"
        "Raise local.boot_timeout if the machine is just slow; otherwise check the log above."
    )


def ensure_ca_trust(engine: Engine, cfg: LocalConfig, name: str, report: Report) -> None:
    certs = split_certificates(cfg.extra_ca_files)
    manifest = hashlib.sha256(b"".join(certs.values())).hexdigest()
    current = run(engine.cmd("exec", name, "cat", f"{CA_DIR}/.manifest"), check=False).stdout.strip()
    if current == manifest or (not certs and current == ""):
        return
    run(engine.cmd("exec", name, "rm", "-rf", CA_DIR))
    if certs:
        run(engine.cmd("exec", name, "mkdir", "-p", CA_DIR))
        tar = certificates_tar(certs, manifest)
        result = subprocess.run(
            engine.cmd("exec", "-i", name, "tar", "-x", "-C", CA_DIR), input=tar, capture_output=True
        )
        if result.returncode != 0:
            raise CommandError(f"copying CA certificates into {name} failed: {result.stderr.decode()[-500:]}")
    run(engine.cmd("exec", name, "update-ca-certificates", "--fresh"))
    report.add(f"host {name} trusts {len(certs)} extra CA certificate(s)")


def ensure_ssh_key(key: Path, label: str, report: Report) -> str:
    """The project's own key pair for the hosts (made once, never replaced); returns the public key line."""
    if not key.exists():
        # .secrets/ and .secrets/ssh/ are the owner's only: the key, and later the platform's passwords, live there.
        for directory in (key.parent.parent, key.parent):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.chmod(0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"mlopsctl@{label}", "-f", str(key)])
        report.add(f"SSH key {key} created")
    # The public half is derived from the private key, so a lost .pub file costs nothing.
    return run(["ssh-keygen", "-y", "-f", str(key)]).stdout.strip()


def ssh_endpoint(engine: Engine, name: str) -> tuple[str, int]:
    """Where the engine published the host's SSH port on this machine."""
    out = run(engine.cmd("port", name, f"{SSH_PORT}/tcp")).stdout.split()
    address, _, port = (out[0] if out else "").rpartition(":")
    if not address or not port.isdigit():
        raise CommandError(
            f"host {name} publishes no SSH port (`{engine.name} port {name}`): it predates SSH access; "
            "run `mlopsctl hosts down`, then `mlopsctl hosts up`"
        )
    return address, int(port)


def ensure_ssh_login(engine: Engine, name: str, public_key: str, report: Report) -> str:
    """root on the host accepts the project's key; returns the host's own ed25519 key for known_hosts."""
    current = run(engine.cmd("exec", name, "cat", "/root/.ssh/authorized_keys"), check=False).stdout.strip()
    if current != public_key:
        script = "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys"
        result = subprocess.run(
            engine.cmd("exec", "-i", name, "sh", "-c", script), input=public_key + "\n", capture_output=True, text=True
        )
        if result.returncode != 0:
            raise CommandError(f"installing the SSH key on {name} failed: {result.stderr.strip()[-500:]}")
        report.add(f"host {name} accepts the project's SSH key")
    host_key = run(engine.cmd("exec", name, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"), check=False).stdout.split()
    if len(host_key) < 2:
        raise CommandError(
            f"host {name} has no SSH host key: `{engine.name} exec {name} systemctl status ssh` shows why "
            "(an image built before SSH was added? run `mlopsctl hosts down`, then `mlopsctl hosts up`)"
        )
    return f"{host_key[0]} {host_key[1]}"


def check_ssh(key: Path, known_hosts: Path, name: str, address: str, port: int) -> None:
    """One real login, so a broken SSH setup is reported here and not as an unreachable host mid-playbook."""
    cmd = ["ssh", "-i", str(key), "-p", str(port), "-o", f"UserKnownHostsFile={known_hosts}"]
    cmd += ["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    cmd += ["-o", "ConnectTimeout=10", f"root@{address}", "true"]
    result = run(cmd, check=False)
    if result.returncode != 0:
        raise CommandError(f"SSH to {name} ({address}:{port}) failed: {result.stderr.strip()[-500:]}")


def hosts_up(engine: Engine, cfg: LocalConfig, inventory_path: Path, log_dir: Path) -> Report:
    report = Report()
    image = ensure_image(engine, cfg, log_dir)
    key = inventory_path.parent / SSH_KEY
    known_hosts = inventory_path.parent / KNOWN_HOSTS
    with step(f"Hosts {', '.join(h.name for h in cfg.hosts)} on network {cfg.network} ({engine.name}, over SSH)"):
        public_key = ensure_ssh_key(key, cfg.label, report)
        deploy_key = ensure_ssh_key(inventory_path.parent / DEPLOY_SSH_KEY, f"{cfg.label}-deploy", report)
        ensure_network(engine, cfg, report)
        for spec in cfg.hosts:
            ensure_host(engine, cfg, spec, image, report)
        endpoints: dict[str, tuple[str, int]] = {}
        trusted: list[str] = []
        for spec in cfg.hosts:
            wait_booted(engine, spec.name, cfg.boot_timeout)
            ensure_ca_trust(engine, cfg, spec.name, report)
            host_key = ensure_ssh_login(engine, spec.name, public_key, report)
            endpoints[spec.name] = ssh_endpoint(engine, spec.name)
            trusted.append(f"[{endpoints[spec.name][0]}]:{endpoints[spec.name][1]} {host_key}")
        if write_if_changed(known_hosts, "\n".join(sorted(trusted)) + "\n"):
            report.add(f"known hosts {known_hosts} written")
        for spec in cfg.hosts:
            check_ssh(key, known_hosts, spec.name, *endpoints[spec.name])
    inventory = build_inventory(list(cfg.hosts), endpoints, cfg.gateway, deploy_key, cfg.subnet)
    if write_inventory(inventory_path, inventory):
        report.add(f"inventory {inventory_path} written")
    return report


def owned(engine: Engine, kind: str, label: str) -> list[str]:
    """Names of the containers, networks or volumes that carry this project's label."""
    fmt = "{{.Names}}" if kind == "container" else "{{.Name}}"
    listing = {"container": ("ps", "--all"), "network": ("network", "ls"), "volume": ("volume", "ls")}[kind]
    result = run(engine.cmd(*listing, "--filter", f"label={PROJECT_LABEL}={label}", "--format", fmt))
    return [line for line in result.stdout.split() if line]


def hosts_down(engine: Engine, cfg: LocalConfig, inventory_path: Path, purge_image: bool = False) -> Report:
    report = Report()
    with step("Removing the local hosts, their network and volumes"):
        for name in owned(engine, "container", cfg.label):
            run(engine.cmd("rm", "--force", "--volumes", name))
            report.add(f"host {name} removed")
        for name in owned(engine, "volume", cfg.label):
            run(engine.cmd("volume", "rm", "--force", name))
            report.add(f"volume {name} removed")
        for name in owned(engine, "network", cfg.label):
            run(engine.cmd("network", "rm", name))
            report.add(f"network {name} removed")
        if purge_image:
            tag = image_tag(cfg.distribution)
            if image_exists(engine, tag):
                run(engine.cmd("image", "rm", tag))
                report.add(f"image {tag} removed")
    if is_written_inventory(inventory_path):
        inventory_path.unlink()
        report.add(f"inventory {inventory_path} removed")
    elif inventory_path.exists() or inventory_path.is_symlink():
        say(f"    kept: {inventory_path}, not an inventory `mlopsctl hosts up` wrote")
    return report
