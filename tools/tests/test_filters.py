import pytest
from ansible.errors import AnsibleFilterError
from postgresql import fill_defaults, pg_conf_value, pg_preload_merge, pg_tuning


def test_tuning_follows_the_hosts_size() -> None:
    tuned = pg_tuning(16384, 8, 100)
    assert tuned["shared_buffers"] == "4096MB"
    assert tuned["effective_cache_size"] == "12288MB"
    assert tuned["maintenance_work_mem"] == "1024MB"
    assert tuned["work_mem"] == "15MB"
    assert tuned["max_parallel_workers"] == 8
    assert tuned["max_parallel_workers_per_gather"] == 4


def test_tuning_caps_and_floors() -> None:
    tuned = pg_tuning(512 * 1024, 1, 5000)
    assert tuned["maintenance_work_mem"] == "2048MB"
    assert tuned["wal_buffers"] == "16MB"
    assert tuned["max_parallel_workers_per_gather"] == 1
    assert pg_tuning(256, 1, 10000)["work_mem"] == "4MB"


def test_tuning_refuses_tiny_hosts() -> None:
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
def test_preload_merge_keeps_other_libraries(existing, add, remove, expected) -> None:
    assert pg_preload_merge(existing, add, remove) == expected


def test_preload_merge_refuses_odd_types() -> None:
    with pytest.raises(AnsibleFilterError):
        pg_preload_merge({"a": 1})


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (True, "on"),
        (False, "off"),
        (100, "100"),
        (0.5, "0.5"),
        ("4GB", "'4GB'"),
        ("it's", "'it''s'"),
        (["a", "b"], "'a,b'"),
        ("C:\\x", "'C:\\\\x'"),
    ],
)
def test_conf_values_are_quoted_safely(value, rendered) -> None:
    assert pg_conf_value(value) == rendered


def test_fill_defaults_keeps_given_values() -> None:
    assert fill_defaults([{"name": "a", "state": "absent"}, {"name": "b"}], {"state": "present"}) == [
        {"state": "absent", "name": "a"},
        {"state": "present", "name": "b"},
    ]
    with pytest.raises(AnsibleFilterError):
        fill_defaults(["a"], {})
