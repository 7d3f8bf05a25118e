"""Filters of the pgbackrest role: the restore drill's verdict, the live tables' row counts against the restored copy's.

DOCUMENTATION for each filter is in the role's README (filters of a role, not a public API of the collection).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.datatech.mlops.plugins.module_utils.restore_drill import STAMP


def _counts(rows: Any, side: str) -> dict[str, int]:
    """{schema.table: rows} from postgresql_query's rows ({'table': ..., 'rows': ...} each; {} when there are none),
    or the drill's report, already {schema.table: rows}."""
    if isinstance(rows, Mapping):
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in rows.values()):
            raise ValueError(f"{side} counts are not whole numbers of rows: {rows!r:.200}")
        return {str(t): n for t, n in rows.items()}
    if not isinstance(rows, list) or not all(isinstance(r, dict) and {"table", "rows"} <= set(r) for r in rows):
        raise ValueError(f"{side} counts are not a list of {{table, rows}} rows: {rows!r:.200}")
    return {str(r["table"]): int(r["rows"]) for r in rows}


def restore_drill_problems(live: Any, restored: Any) -> list[str]:
    """One line per table whose restored row count differs from the live one at the restore point, or that is only on
    one side; empty when the restored copy holds exactly the live tables and rows."""
    have, got = _counts(live, "live"), _counts(restored, "restored")
    problems = [
        f"{t}: {have[t]} rows live, {got[t]} restored" for t in sorted(have.keys() & got.keys()) if have[t] != got[t]
    ]
    problems += [f"{t}: missing from the restored copy ({have[t]} rows live)" for t in sorted(have.keys() - got.keys())]
    problems += [f"{t}: only in the restored copy ({got[t]} rows)" for t in sorted(got.keys() - have.keys())]
    return problems


def restore_drill_stamp_problems(stamp: Any) -> list[str]:
    """Why a drill stamp (YYYYMMDDTHHMMSSZ, the restore point's and scratch directory's suffix) is unusable."""
    if isinstance(stamp, str) and STAMP.fullmatch(stamp):
        return []
    return [f"pgbackrest_verify_stamp {stamp!r} is not a UTC stamp like 20260131T134500Z"]


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "restore_drill_problems": restore_drill_problems,
            "restore_drill_stamp_problems": restore_drill_stamp_problems,
        }
