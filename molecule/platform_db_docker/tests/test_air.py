"""The airflow host reaches PostgreSQL on the db host across the scenario's Docker network, by name."""

from __future__ import annotations

from testinfra.host import Host

testinfra_hosts = ["dk-mol-air01"]


def test_the_airflow_host_reaches_postgresql_by_name(host: Host) -> None:
    assert host.addr("dk-mol-db01").port(5432).is_reachable
