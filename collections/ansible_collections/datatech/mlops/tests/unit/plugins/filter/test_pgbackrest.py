"""restore_drill_problems: the restore drill's verdict on live and restored row counts."""

from __future__ import annotations

import pytest
from ansible_collections.datatech.mlops.plugins.filter.pgbackrest import (
    restore_drill_problems,
    restore_drill_stamp_problems,
)


def rows(**counts: int) -> list[dict[str, object]]:
    return [{"table": name.replace("__", "."), "rows": n} for name, n in counts.items()]


def test_the_same_tables_and_rows_pass() -> None:
    assert restore_drill_problems(rows(ml__runs=3, public__ledger=0), rows(public__ledger=0, ml__runs=3)) == []
    assert restore_drill_problems([], []) == []
    # postgresql_query answers a query without rows with {}.
    assert restore_drill_problems({}, {}) == []
    assert restore_drill_problems(rows(t=1), {}) == ["t: missing from the restored copy (1 rows live)"]


def test_every_difference_is_one_line_naming_the_table() -> None:
    problems = restore_drill_problems(rows(ml__a=10, ml__b=5, ml__c=1), rows(ml__a=9, ml__c=1, ml__d=2))
    assert problems == [
        "ml.a: 10 rows live, 9 restored",
        "ml.b: missing from the restored copy (5 rows live)",
        "ml.d: only in the restored copy (2 rows)",
    ]


def test_counts_as_text_are_read_as_numbers() -> None:
    assert restore_drill_problems([{"table": "t", "rows": "7"}], [{"table": "t", "rows": 7}]) == []


@pytest.mark.parametrize("bad", [None, "t=1", [{"table": "t"}], [["t", 1]]])
def test_a_malformed_side_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(ValueError, match="restored counts are not a list"):
        restore_drill_problems([], bad)


@pytest.mark.parametrize("stamp", ["20260131T134500Z"])
def test_a_utc_stamp_is_accepted(stamp: str) -> None:
    assert restore_drill_stamp_problems(stamp) == []


@pytest.mark.parametrize(
    "stamp", ["", "2026-01-31", "20260131T134500Z; DROP", "20260131T134500Z\n", "../x", None, 20260131]
)
def test_anything_else_is_refused(stamp: object) -> None:
    assert restore_drill_stamp_problems(stamp) == [
        f"pgbackrest_verify_stamp {stamp!r} is not a UTC stamp like 20260131T134500Z"
    ]


def test_the_drills_report_of_counts_is_read_as_the_restored_side() -> None:
    assert restore_drill_problems(rows(ml__a=2), {"ml.a": 2}) == []
    assert restore_drill_problems(rows(ml__a=2), {"ml.a": 1}) == ["ml.a: 2 rows live, 1 restored"]
    with pytest.raises(ValueError, match="restored counts are not whole numbers"):
        restore_drill_problems([], {"ml.a": "2"})
