"""Settings of the local test hosts, read from mlopsctl.toml and validated before anything runs."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlopsctl.errors import ConfigError
from mlopsctl.files import read_text_file

ENGINES = ("auto", "podman", "docker")


@dataclass(frozen=True)
class DebianRelease:
    """What a Debian release ships that the platform depends on."""

    number: str
    postgresql: str
    python: str


# Debian releases the local hosts can run; trixie (Debian 13) is what the clouds' images and the tests default to.
RELEASES = {
    "trixie": DebianRelease(number="13", postgresql="17", python="3.13"),
    "bookworm": DebianRelease(number="12", postgresql="15", python="3.11"),
}
DISTRIBUTIONS = tuple(RELEASES)
HOSTNAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
# The platform needs these groups; a config without them cannot run site.yml.
REQUIRED_GROUPS = ("db", "airflow")

DEFAULT_HOSTS: dict[str, dict[str, Any]] = {
    "db01": {"groups": ["db"], "publish": []},
    "air01": {"groups": ["airflow"], "publish": ["8443:443", "8080:80"]},
    "client01": {"groups": ["clients"], "publish": []},
    "bak01": {"groups": ["backup"], "publish": []},
}


@dataclass(frozen=True)
class HostSpec:
    name: str
    groups: tuple[str, ...]
    ip: str
    publish: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class LocalConfig:
    engine: str = "auto"
    distribution: str = "trixie"
    mirror: str = "http://deb.debian.org/debian"
    network: str = "mlops"
    subnet: str = "10.213.7.0/24"
    publish_address: str = "127.0.0.1"
    extra_ca_files: tuple[Path, ...] = ()
    boot_timeout: int = 90
    label: str = "mlops"
    hosts: tuple[HostSpec, ...] = field(default_factory=tuple)

    @property
    def gateway(self) -> str:
        """The engine's address on the hosts' network (the first of the subnet): this machine, seen from a host."""
        return str(next(ipaddress.IPv4Network(self.subnet).hosts()))

    def host(self, name: str) -> HostSpec:
        for spec in self.hosts:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _expect(value: Any, kind: type | tuple[type, ...], key: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{key}: expected {names}, got {value!r}")
    return value


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(choices)}")
    return value


def parse_publish(entry: Any, key: str) -> tuple[int, int]:
    """'8080:8080' -> (8080, 8080): a port on the machine and the host port it forwards to."""
    _expect(entry, str, key)
    match = re.fullmatch(r"(\d{1,5}):(\d{1,5})", entry)
    if not match:
        raise ConfigError(f"{key}: {entry!r} must look like 'MACHINE_PORT:HOST_PORT', e.g. '8080:8080'")
    ports = int(match.group(1)), int(match.group(2))
    if not all(1 <= p <= 65535 for p in ports):
        raise ConfigError(f"{key}: ports in {entry!r} must be between 1 and 65535")
    return ports


def _parse_hosts(raw: Any, network: ipaddress.IPv4Network) -> tuple[HostSpec, ...]:
    raw_hosts = _expect(raw, dict, "local.hosts")
    if not raw_hosts:
        raise ConfigError("local.hosts: at least one host is needed")
    gateway = next(network.hosts())
    specs: list[HostSpec] = []
    for index, (name, body) in enumerate(raw_hosts.items()):
        key = f"local.hosts.{name}"
        if not HOSTNAME_RE.fullmatch(name):
            raise ConfigError(f"{key}: host names are lower-case letters, digits and '-', starting with a letter")
        body = _expect(body, dict, key)
        unknown = set(body) - {"groups", "ip", "publish"}
        if unknown:
            raise ConfigError(f"{key}: unknown setting(s) {', '.join(sorted(unknown))}; known: groups, ip, publish")
        groups = tuple(_expect(g, str, f"{key}.groups") for g in _expect(body.get("groups", []), list, f"{key}.groups"))
        if not groups:
            raise ConfigError(f"{key}.groups: a host needs at least one group")
        ip_text = body.get("ip") or str(network.network_address + 10 + index)
        try:
            ip = ipaddress.IPv4Address(_expect(ip_text, str, f"{key}.ip"))
        except ipaddress.AddressValueError as exc:
            raise ConfigError(f"{key}.ip: {exc}") from exc
        if ip not in network or ip in (network.network_address, network.broadcast_address, gateway):
            raise ConfigError(f"{key}.ip: {ip} is not a usable address of local.subnet {network} (gateway {gateway})")
        publish = tuple(
            parse_publish(p, f"{key}.publish") for p in _expect(body.get("publish", []), list, f"{key}.publish")
        )
        specs.append(HostSpec(name=name, groups=groups, ip=str(ip), publish=publish))
    _check_unique(specs)
    return tuple(specs)


def _check_unique(specs: list[HostSpec]) -> None:
    seen_ips: dict[str, str] = {}
    seen_ports: dict[int, str] = {}
    for spec in specs:
        if spec.ip in seen_ips:
            raise ConfigError(f"local.hosts.{spec.name}.ip: {spec.ip} is already used by {seen_ips[spec.ip]}")
        seen_ips[spec.ip] = spec.name
        for machine_port, _ in spec.publish:
            if machine_port in seen_ports:
                raise ConfigError(
                    f"local.hosts.{spec.name}.publish: port {machine_port} is already published by "
                    f"{seen_ports[machine_port]}"
                )
            seen_ports[machine_port] = spec.name


def require_platform_groups(cfg: LocalConfig) -> None:
    """site.yml needs a db and an airflow host; a set of hosts for one role's tests (molecule) need not have both."""
    groups = {g for spec in cfg.hosts for g in spec.groups}
    missing = [g for g in REQUIRED_GROUPS if g not in groups]
    if missing:
        raise ConfigError(f"local.hosts: no host is in group(s) {', '.join(missing)}; site.yml needs them")


def _parse_ca_files(raw: Any, base: Path) -> tuple[Path, ...]:
    files = []
    for entry in _expect(raw, list, "local.extra_ca_files"):
        path = Path(_expect(entry, str, "local.extra_ca_files"))
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise ConfigError(f"local.extra_ca_files: {path} does not exist (list PEM files the hosts must trust)")
        if b"-----BEGIN CERTIFICATE-----" not in path.read_bytes():
            raise ConfigError(f"local.extra_ca_files: {path} holds no PEM certificate")
        files.append(path)
    return tuple(files)


def parse_local(raw: dict[str, Any], base: Path) -> LocalConfig:
    """Validate the [local] table; every error names the setting and what it accepts."""
    known = {f for f in LocalConfig.__dataclass_fields__}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"local: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    defaults = LocalConfig()
    try:
        network = ipaddress.IPv4Network(_expect(raw.get("subnet", defaults.subnet), str, "local.subnet"))
    except ValueError as exc:
        raise ConfigError(f"local.subnet: {exc}") from exc
    if network.num_addresses < 16:
        raise ConfigError(f"local.subnet: {network} is too small; use a /28 or larger")
    publish_address = _expect(raw.get("publish_address", defaults.publish_address), str, "local.publish_address")
    try:
        ipaddress.IPv4Address(publish_address)
    except ValueError as exc:
        raise ConfigError(f"local.publish_address: {exc}") from exc
    boot_timeout = _expect(raw.get("boot_timeout", defaults.boot_timeout), int, "local.boot_timeout")
    if boot_timeout < 5:
        raise ConfigError("local.boot_timeout: at least 5 seconds")
    name_keys = ("network", "label")
    for key in name_keys:
        value = _expect(raw.get(key, getattr(defaults, key)), str, f"local.{key}")
        if not HOSTNAME_RE.fullmatch(value):
            raise ConfigError(f"local.{key}: {value!r} must be lower-case letters, digits and '-'")
    mirror = _expect(raw.get("mirror", defaults.mirror), str, "local.mirror")
    if not re.match(r"^(https?|file)://", mirror):
        raise ConfigError(f"local.mirror: {mirror!r} must be an http(s):// or file:// URL")
    return LocalConfig(
        engine=_choice(raw.get("engine", defaults.engine), ENGINES, "local.engine"),
        distribution=_choice(raw.get("distribution", defaults.distribution), DISTRIBUTIONS, "local.distribution"),
        mirror=mirror,
        network=raw.get("network", defaults.network),
        subnet=str(network),
        publish_address=publish_address,
        extra_ca_files=_parse_ca_files(raw.get("extra_ca_files", []), base),
        boot_timeout=boot_timeout,
        label=raw.get("label", defaults.label),
        hosts=_parse_hosts(raw.get("hosts", DEFAULT_HOSTS), network),
    )


def load_config(path: Path, engine: str | None = None) -> LocalConfig:
    """Read a TOML config (a missing file means all defaults); `engine` (--engine) replaces its local.engine."""
    cfg = _read_config(path)
    return replace(cfg, engine=engine) if engine else cfg


def _read_config(path: Path) -> LocalConfig:
    if not path.exists() and not path.is_symlink():
        return parse_local({}, path.parent)
    try:
        data = tomllib.loads(read_text_file(path, "settings file"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"local"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; known: local")
    return parse_local(_expect(data.get("local", {}), dict, "local"), path.parent)
