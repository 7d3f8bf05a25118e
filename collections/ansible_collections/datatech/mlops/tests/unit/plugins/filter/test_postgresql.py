"""The postgresql filters as templates use them: by their full names, through Ansible's templating."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError, AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.datatech.mlops.plugins.filter.postgresql import (
    fill_defaults,
    pg_conf_value,
    pg_preload_merge,
    pg_privileges_problems,
    pg_settings_problems,
    pg_tuning,
)


def render(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template("{{ " + expression + " }}"))


def test_tuning_of_a_4_gb_4_cpu_host():
    tuned = render("memory | datatech.mlops.pg_tuning(4)", memory=4096)
    assert tuned["shared_buffers"] == "1024MB"
    assert tuned["effective_cache_size"] == "3072MB"
    assert tuned["max_parallel_workers"] == 4


def test_tuning_refuses_a_host_too_small_to_tune_for():
    with pytest.raises(AnsibleError, match="too little memory"):
        render("128 | datatech.mlops.pg_tuning(1)")


def test_preload_merge_keeps_order_adds_once_and_removes():
    merged = render(
        "current | datatech.mlops.pg_preload_merge(add=['$libdir/pg_strom'], remove=['auto_explain'])",
        current="pg_stat_statements, auto_explain, pg_strom",
    )
    assert merged == "pg_stat_statements,pg_strom"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(True, "on"), (False, "off"), (64, "64"), ("it's", "'it''s'"), (["a", "b"], "'a,b'")],
)
def test_conf_values_are_rendered_for_postgresql_conf(value, rendered):
    assert render("value | datatech.mlops.pg_conf_value", value=value) == rendered


def test_fill_defaults_fills_only_what_is_missing():
    items = [{"name": "a", "state": "absent"}, {"name": "b"}]
    filled = render("items | datatech.mlops.fill_defaults({'state': 'present'})", items=items)
    assert filled == [{"name": "a", "state": "absent"}, {"name": "b", "state": "present"}]


def test_tuning_follows_the_hosts_size():
    tuned = pg_tuning(16384, 8, 100)
    assert (tuned["shared_buffers"], tuned["effective_cache_size"]) == ("4096MB", "12288MB")
    assert (tuned["maintenance_work_mem"], tuned["work_mem"]) == ("1024MB", "15MB")
    assert (tuned["max_parallel_workers"], tuned["max_parallel_workers_per_gather"]) == (8, 4)
    assert tuned["max_worker_processes"] == 8


def test_tuning_caps_and_floors():
    tuned = pg_tuning(512 * 1024, 1, 5000)
    assert (tuned["maintenance_work_mem"], tuned["wal_buffers"]) == ("2048MB", "16MB")
    assert tuned["max_parallel_workers_per_gather"] == 1
    assert pg_tuning(256, 1, 10000)["work_mem"] == "4MB"


def test_gpu_hosts_keep_shared_buffers_small_and_give_pg_strom_its_workers():
    """A 128 GB, 16-core GPU host: 1 GB shared buffers (the measured fast setting), 100 workers, 8 per query."""
    cpu, gpu = pg_tuning(131072, 16, 100), pg_tuning(131072, 16, 100, gpu=True)
    assert (cpu["shared_buffers"], gpu["shared_buffers"]) == ("32768MB", "1024MB")
    assert cpu["effective_cache_size"] == gpu["effective_cache_size"] == "98304MB"
    assert (cpu["max_worker_processes"], gpu["max_worker_processes"]) == (16, 100)
    assert (cpu["max_parallel_workers_per_gather"], gpu["max_parallel_workers_per_gather"]) == (4, 8)
    assert gpu["max_parallel_workers"] == 16
    # What shared buffers no longer hold is left to every connection's sorts.
    assert int(gpu["work_mem"].removesuffix("MB")) > int(cpu["work_mem"].removesuffix("MB"))
    # A host smaller than 4 GB keeps a quarter of its memory.
    assert pg_tuning(2048, 2, 100, gpu=True)["shared_buffers"] == "512MB"


def test_tuning_refuses_tiny_hosts():
    with pytest.raises(AnsibleFilterError, match="too little memory"):
        pg_tuning(128, 1)


@pytest.mark.parametrize(
    ("existing", "add", "remove", "expected"),
    [
        ("", ["$libdir/pg_strom"], [], "$libdir/pg_strom"),
        ("pg_stat_statements", ["$libdir/pg_strom"], [], "pg_stat_statements,$libdir/pg_strom"),
        (
            "'pg_stat_statements, auto_explain'",
            ["$libdir/pg_strom"],
            [],
            "pg_stat_statements,auto_explain,$libdir/pg_strom",
        ),
        (["pg_strom", "auto_explain"], ["$libdir/pg_strom"], [], "pg_strom,auto_explain"),
        ("pg_stat_statements,$libdir/pg_strom", [], ["$libdir/pg_strom"], "pg_stat_statements"),
        ("pg_strom", [], ["$libdir/pg_strom"], ""),
        (None, [], [], ""),
    ],
)
def test_preload_merge_keeps_other_libraries(existing, add, remove, expected):
    assert pg_preload_merge(existing, add, remove) == expected


def test_preload_merge_refuses_odd_types():
    with pytest.raises(AnsibleFilterError):
        pg_preload_merge({"a": 1})


@pytest.mark.parametrize(("value", "rendered"), [(0.5, "0.5"), ("4GB", "'4GB'"), ("C:\\x", "'C:\\\\x'")])
def test_more_conf_values_are_quoted_safely(value, rendered):
    assert pg_conf_value(value) == rendered


def test_fill_defaults_refuses_what_is_not_a_list_of_dicts():
    with pytest.raises(AnsibleFilterError):
        fill_defaults(["a"], {})


@pytest.mark.parametrize("value", ["on\nshared_preload_libraries = 'evil'", "a\rb", "nul\0"])
def test_a_value_with_a_line_break_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="line break or NUL"):
        pg_conf_value(value)


def test_setting_names_and_values_are_checked_before_postgresql_conf_is_written():
    assert (
        pg_settings_problems({"work_mem": "64MB", "pg_strom.enabled": True, "auto_explain.log_min_duration": 5}) == []
    )
    found = pg_settings_problems({"work_mem\nfsync": "off", "ok": "x\ny", "Bad-Name": 1})
    assert len(found) == 3 and "key 'work_mem\\nfsync' is not a setting name" in found[0]
    assert pg_settings_problems(["work_mem"]) == [
        "postgresql_settings must be a mapping of setting names to values, not list"
    ]


def test_a_grant_without_privileges_is_named_unless_it_is_a_membership():
    grants = [
        {"database": "dwh", "roles": "anna", "type": "group", "objs": "dwh_read"},
        {"database": "dwh", "roles": "anna", "type": "schema", "objs": "ml", "privs": "USAGE"},
        {"database": "dwh", "roles": "anna", "objs": "ALL_IN_SCHEMA"},
    ]
    assert pg_privileges_problems(grants) == [
        "postgresql_privileges[2] (table ALL_IN_SCHEMA) has no privs: name the privileges (e.g. SELECT), or set "
        "type group for a membership"
    ]
    assert pg_privileges_problems("SELECT") == [
        "postgresql_privileges must be a list of mappings (database, roles, type, objs, privs)"
    ]
