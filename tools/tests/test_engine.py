from pathlib import Path

import pytest

from mlopsctl.lab.config import parse_local
from mlopsctl.lab.engine import EngineError, detect_engine, run_args
from mlopsctl.lab.hosts import routed_elsewhere


def which_of(*present: str):
    return lambda name: f"/usr/bin/{name}" if name in present else None


def test_podman_is_preferred_and_runs_with_runc() -> None:
    engine = detect_engine("auto", which_of("podman", "runc", "docker"), lambda _: True)
    assert engine.name == "podman"
    assert engine.cmd("ps") == ["/usr/bin/podman", "--runtime", "/usr/bin/runc", "ps"]


def test_podman_without_runc_keeps_its_default_runtime() -> None:
    assert detect_engine("auto", which_of("podman"), lambda _: False).global_args == ()


def test_docker_client_without_engine_is_not_an_engine() -> None:
    with pytest.raises(EngineError, match="no container engine"):
        detect_engine("auto", which_of("docker"), lambda _: False)


def test_docker_is_used_when_its_engine_answers() -> None:
    engine = detect_engine("auto", which_of("docker"), lambda _: True)
    assert engine.name == "docker"


def test_asking_for_a_missing_engine_says_how_to_install_it() -> None:
    with pytest.raises(EngineError, match="apt-get install -y podman runc"):
        detect_engine("podman", which_of("docker"), lambda _: True)
    with pytest.raises(EngineError, match="docker info"):
        detect_engine("docker", which_of("podman"), lambda _: True)


def test_run_args_boot_systemd_with_lowered_ulimits_and_loopback_ports(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    engine = detect_engine("podman", which_of("podman", "runc"), lambda _: False)
    args = run_args(engine, cfg, cfg.host("air01"), "img:1", {"a": "b"})
    assert args[:4] == ["/usr/bin/podman", "--runtime", "/usr/bin/runc", "run"]
    assert "--systemd=always" in args
    assert args[args.index("--ip") + 1] == "10.213.7.11"
    assert "nofile=1024:1024" in args and "nproc=1024:1024" in args
    published = [args[i + 1] for i, arg in enumerate(args) if arg == "--publish"]
    # HTTPS and its redirect, and SSH on a port the engine picks: all on loopback only.
    assert published == ["127.0.0.1:8443:443", "127.0.0.1:8080:80", "127.0.0.1::22"]
    assert args[-2:] == ["img:1", "/sbin/init"]


def test_docker_run_args_mount_the_cgroup_tree(tmp_path: Path) -> None:
    cfg = parse_local({}, tmp_path)
    engine = detect_engine("docker", which_of("docker"), lambda _: True)
    args = run_args(engine, cfg, cfg.host("db01"), "img:1", {})
    assert "/sys/fs/cgroup:/sys/fs/cgroup:ro" in args and "--tmpfs" in args
    assert "--privileged" not in args
    assert "--systemd=always" not in args


ROUTES = [
    {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
    {"dst": "10.88.0.0/16", "dev": "cni-podman0"},
    {"dst": "10.213.7.0/24", "dev": "br-0123"},
    {"dst": "192.0.2.7", "dev": "eth0"},
]


def test_a_subnet_another_bridge_routes_is_named_with_its_device() -> None:
    assert routed_elsewhere("10.213.7.0/24", ROUTES) == "10.213.7.0/24 on br-0123"
    assert routed_elsewhere("10.88.5.0/24", ROUTES) == "10.88.0.0/16 on cni-podman0"
    assert routed_elsewhere("192.0.2.0/28", ROUTES) == "192.0.2.7 on eth0"


def test_a_free_subnet_and_the_default_route_are_no_clash() -> None:
    assert routed_elsewhere("10.213.120.0/24", ROUTES) is None
    assert routed_elsewhere("10.213.120.0/24", []) is None
