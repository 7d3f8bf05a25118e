"""What the PostgreSQL role leaves on the db host, read by testinfra through the community.docker connection."""

from __future__ import annotations

from testinfra.host import Host

testinfra_hosts = ["dk-mol-db01"]


def test_postgresql_runs_and_starts_at_boot(host: Host) -> None:
    # Debian's postgresql unit starts every cluster at boot; the cluster's own unit is the server.
    assert host.service("postgresql").is_enabled
    major = host.check_output("ls /etc/postgresql")
    assert major in ("15", "17"), major
    assert host.service(f"postgresql@{major}-main").is_running
    assert host.package(f"postgresql-{major}").version.startswith(f"{major}.")


def test_postgresql_listens_on_the_private_address_with_tls_and_a_private_data_directory(host: Host) -> None:
    assert host.socket("tcp://10.213.122.10:5432").is_listening
    with host.sudo("postgres"):
        assert host.check_output("psql -tAc 'SHOW ssl'") == "on"
        data = host.check_output("psql -tAc 'SHOW data_directory'")
    assert (host.file(data).user, host.file(data).mode) == ("postgres", 0o700)
