from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsctl.errors import ConfigError
from mlopsctl.lab.config import (
    DISTRIBUTIONS,
    RELEASES,
    LocalConfig,
    load_config,
    parse_local,
    parse_publish,
    require_platform_groups,
)


def test_defaults_give_four_hosts_with_fixed_addresses(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "missing.toml")
    assert [(h.name, h.groups, h.ip) for h in cfg.hosts] == [
        ("db01", ("db",), "10.213.7.10"),
        ("air01", ("airflow",), "10.213.7.11"),
        ("client01", ("clients",), "10.213.7.12"),
        ("bak01", ("backup",), "10.213.7.13"),
    ]
    assert cfg.host("air01").publish == ((8443, 443), (8080, 80))
    assert cfg.publish_address == "127.0.0.1"


def test_repository_config_is_valid(root: Path) -> None:
    cfg = load_config(root / "mlopsctl.toml")
    assert {h.name for h in cfg.hosts} == {"db01", "air01", "client01", "bak01"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"engine": "lxc"}, "local.engine: 'lxc' is not one of auto, podman, docker"),
        ({"distribution": "buster"}, "local.distribution"),
        ({"subnet": "10.0.0.0/30"}, "too small"),
        ({"subnet": "not-a-net"}, "local.subnet"),
        ({"boot_timeout": "60"}, "local.boot_timeout: expected int"),
        ({"boot_timeout": True}, "local.boot_timeout: expected int"),
        ({"mirror": "ftp://x"}, "local.mirror"),
        ({"network": "Bad_Name"}, "local.network"),
        ({"colour": "red"}, "unknown setting(s) colour"),
        ({"hosts": {}}, "at least one host"),
        ({"hosts": {"DB": {"groups": ["db"]}}}, "host names are lower-case"),
        ({"hosts": {"db01": {"groups": []}, "air01": {"groups": ["airflow"]}}}, "needs at least one group"),
        ({"hosts": {"db01": {"groups": ["db", "airflow"], "size": 3}}}, "unknown setting(s) size"),
        ({"hosts": {"db01": {"groups": ["db", "airflow"], "ip": "10.9.9.9"}}}, "not a usable address"),
        ({"hosts": {"db01": {"groups": ["db", "airflow"], "ip": "10.213.7.1"}}}, "gateway"),
        (
            {
                "hosts": {
                    "a": {"groups": ["db"], "ip": "10.213.7.20"},
                    "b": {"groups": ["airflow"], "ip": "10.213.7.20"},
                }
            },
            "already used by a",
        ),
        (
            {
                "hosts": {
                    "a": {"groups": ["db"], "publish": ["80:80"]},
                    "b": {"groups": ["airflow"], "publish": ["80:81"]},
                }
            },
            "port 80 is already published by a",
        ),
        ({"extra_ca_files": ["/nonexistent.pem"]}, "does not exist"),
    ],
)
def test_bad_settings_are_named_in_the_error(raw: dict, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_local(raw, tmp_path)
    assert message in str(err.value)


@pytest.mark.parametrize("entry", ["8080", "8080:", "a:b", "0:80", "70000:80", "1:2:3"])
def test_bad_publish_entries_are_refused(entry: str) -> None:
    with pytest.raises(ConfigError):
        parse_publish(entry, "k")


def test_ca_file_without_certificate_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("hello")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        parse_local({"extra_ca_files": [str(bogus)]}, tmp_path)


def test_relative_ca_file_is_read_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")
    cfg = parse_local({"extra_ca_files": ["ca.pem"]}, tmp_path)
    assert cfg.extra_ca_files == (tmp_path / "ca.pem",)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mlopsctl.toml"
    path.write_text("[local\nengine = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_unknown_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mlopsctl.toml"
    path.write_text("[cloud]\nx = 1\n")
    with pytest.raises(ConfigError, match="unknown table"):
        load_config(path)


def test_engine_option_replaces_the_files_engine(tmp_path: Path) -> None:
    path = tmp_path / "mlopsctl.toml"
    path.write_text('[local]\nengine = "podman"\n')
    assert load_config(path).engine == "podman"
    assert load_config(path, engine="docker").engine == "docker"


def test_site_needs_a_db_and_an_airflow_host_but_a_role_test_does_not(tmp_path: Path) -> None:
    only_db = parse_local({"hosts": {"db01": {"groups": ["db"]}}}, tmp_path)
    with pytest.raises(ConfigError, match=r"no host is in group\(s\) airflow; site.yml needs them"):
        require_platform_groups(only_db)
    require_platform_groups(parse_local({}, tmp_path))


def test_the_releases_table_agrees_with_the_roles(root: Path) -> None:
    """mlopsctl's Debian releases: the PostgreSQL the role installs there, constraints for their Python."""
    roles = root / "collections/ansible_collections/datatech/mlops/roles"
    role_versions = yaml.safe_load((roles / "postgresql/vars/main.yml").read_text())["_postgresql_distro_versions"]
    airflow = yaml.safe_load((roles / "airflow/defaults/main.yml").read_text())["airflow_version"]
    assert LocalConfig().distribution == "trixie" == DISTRIBUTIONS[0]
    for name, release in RELEASES.items():
        assert role_versions[name] == release.postgresql
        assert (roles / f"airflow/files/constraints-{airflow}-py{release.python}.txt").is_file(), name


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is not a regular file"),
        (lambda p: p.write_bytes('[local]\nlabel = "caf\xe9"\n'.encode("latin-1")), "is not UTF-8 text"),
        (lambda p: p.write_bytes(b"#" * (5 * 1024 * 1024)), "is larger than 4 MiB"),
    ],
)
def test_a_settings_file_that_is_not_utf8_text_is_one_error(make, message: str, tmp_path: Path) -> None:
    path = tmp_path / "mlopsctl.toml"
    make(path)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_device_as_settings_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(Path("/dev/zero"))


def test_a_config_named_on_the_command_line_must_exist(root: Path, tmp_path: Path, capsys) -> None:
    from mlopsctl.cli import main

    missing = tmp_path / "mlopsctl.tmol"
    assert main(["--root", str(root), "--config", str(missing), "hosts", "down"]) == 2
    err = capsys.readouterr().err
    assert f"--config {missing} is not an existing file" in err and err.count("\n") == 1


# Whatever the settings file holds: a LocalConfig, or one ConfigError naming the problem; never another exception.
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["podman", "docker", "auto", "trixie", "10.213.7.0/24", "127.0.0.1", "db01", "../x", "{{ x }}"])
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "engine",
        "distribution",
        "mirror",
        "network",
        "subnet",
        "publish_address",
        "extra_ca_files",
        "boot_timeout",
        "label",
        "hosts",
        "publish",
        "unknown",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUE, max_size=5))
def test_any_local_table_gives_a_config_or_one_clear_error(raw: dict) -> None:
    try:
        cfg = parse_local(raw, Path("/nonexistent"))
    except ConfigError as exc:
        assert str(exc).startswith("local") and len(str(exc)) < 2000
        return
    assert isinstance(cfg, LocalConfig) and cfg.hosts


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("[local]\n" + t).encode()))
def test_any_settings_file_gives_a_config_or_one_clear_error(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("cfg") / "mlopsctl.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(exc)


def test_a_name_with_a_trailing_line_break_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"local\.label"):
        parse_local({"label": "mlops\n"}, tmp_path)
