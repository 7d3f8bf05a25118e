"""Filters of the postgresql role: memory tuning, preload merging, postgresql.conf quoting and pg_strom's build."""

from __future__ import annotations

import re
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.datatech.mlops.plugins.module_utils import pg_hba
from ansible_collections.datatech.mlops.plugins.module_utils.pg_strom import (
    arrow_soversion,
    make_params,
    pip_hash_mismatch,
    pkgconfig_files,
)

PG_STROM_LIBRARY = "$libdir/pg_strom"
# pg_strom reads tables that are not in shared buffers through its own path from the page cache (and GPU-Direct);
# measured on an H100 with a 60 M-row star schema, 1 GB of shared buffers made it 2.8x the CPU, 25% of RAM 1.4x.
PG_STROM_SHARED_BUFFERS_MB = 1024
# pg_strom asks for at least this many background workers (its GPU service and per-query workers).
PG_STROM_WORKER_PROCESSES = 100


def pg_tuning(memory_mb: int, cpus: int, max_connections: int = 100, gpu: bool = False) -> dict[str, Any]:
    """Memory and parallelism settings from the host's size, after the usual PostgreSQL guidance.

    With gpu (pg_strom preloaded) shared buffers stay small so large scans take pg_strom's own I/O path, and a query
    pg_strom does not take (or its CPU fallback) may use half the cores, as the CPU side of the measurement did.
    """
    memory_mb, cpus, max_connections = int(memory_mb), max(int(cpus), 1), max(int(max_connections), 1)
    if memory_mb < 256:
        raise AnsibleFilterError(f"pg_tuning: {memory_mb} MB is too little memory to tune for (need 256 MB or more)")
    shared_buffers = min(memory_mb // 4, PG_STROM_SHARED_BUFFERS_MB) if gpu else memory_mb // 4
    per_gather = max(cpus // 2, 1) if gpu else max(min(cpus // 2, 4), 1)
    return {
        "shared_buffers": f"{shared_buffers}MB",
        # The page cache holds what shared buffers do not; the planner counts both.
        "effective_cache_size": f"{memory_mb * 3 // 4}MB",
        "maintenance_work_mem": f"{min(memory_mb // 16, 2048)}MB",
        # A quarter of what is left after shared buffers, shared by every connection, each sorting twice.
        "work_mem": f"{max((memory_mb - shared_buffers) // (4 * max_connections * 2), 4)}MB",
        "wal_buffers": f"{min(max(shared_buffers // 32, 1), 16)}MB",
        "max_worker_processes": max(cpus, PG_STROM_WORKER_PROCESSES if gpu else 8),
        "max_parallel_workers": cpus,
        "max_parallel_workers_per_gather": per_gather,
        "max_parallel_maintenance_workers": max(min(cpus // 2, 4), 1),
    }


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip().strip("'\"") for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(part).strip() for part in value if str(part).strip()]
    raise AnsibleFilterError(f"shared_preload_libraries must be a string or a list, got {type(value).__name__}")


def _library_key(name: str) -> str:
    """'$libdir/pg_strom' and 'pg_strom' name the same library."""
    return name.removeprefix("$libdir/")


def pg_preload_merge(value: Any, add: Any = None, remove: Any = None) -> str:
    """Merge libraries into shared_preload_libraries: keep the existing order, add missing, drop removed."""
    removed = {_library_key(lib) for lib in _as_list(remove)}
    merged: list[str] = []
    seen: set[str] = set()
    for lib in _as_list(value) + _as_list(add):
        key = _library_key(lib)
        if key in seen or key in removed:
            continue
        seen.add(key)
        merged.append(lib)
    return ",".join(merged)


SETTING_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def pg_conf_value(value: Any) -> str:
    """Render a value for postgresql.conf: booleans on/off, numbers bare, everything else quoted (never a new line)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    text = str(value)
    if any(char in text for char in "\n\r\0"):
        raise AnsibleFilterError(f"pg_conf_value: {text!r} holds a line break or NUL, which postgresql.conf cannot")
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def pg_settings_problems(settings: Any) -> list[str]:
    """postgresql_settings names that are not setting names (a name is written into postgresql.conf as it is)."""
    if not isinstance(settings, dict):
        return [f"postgresql_settings must be a mapping of setting names to values, not {type(settings).__name__}"]
    found = [
        f"postgresql_settings key {name!r} is not a setting name"
        for name in settings
        if not SETTING_NAME.fullmatch(str(name))
    ]
    for name, value in settings.items():
        if isinstance(value, str) and any(char in value for char in "\n\r\0"):
            found.append(f"postgresql_settings {name} holds a line break or NUL")
    return found


def pg_hba_problems(entries: Any) -> list[str]:
    return pg_hba.problems(entries)


def pg_hba_lines(entries: Any) -> list[str]:
    try:
        return pg_hba.lines(entries)
    except ValueError as exc:
        raise AnsibleFilterError(f"pg_hba_lines: {exc}") from exc


def pg_privileges_problems(privileges: Any) -> list[str]:
    """Grants that name no privileges: only a group membership (type group) has none."""
    if not isinstance(privileges, list) or not all(isinstance(item, dict) for item in privileges):
        return ["postgresql_privileges must be a list of mappings (database, roles, type, objs, privs)"]
    return [
        f"postgresql_privileges[{index}] ({item.get('type', 'table')} {item.get('objs', '')}) has no privs: name "
        "the privileges (e.g. SELECT), or set type group for a membership"
        for index, item in enumerate(privileges)
        if not item.get("privs") and item.get("type", "table") != "group"
    ]


def fill_defaults(items: list[dict[str, Any]], defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """Each item with the defaults filled in for the keys it leaves out."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise AnsibleFilterError("fill_defaults: expected a list of dicts")
    return [{**defaults, **item} for item in items]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "arrow_pkgconfig": pkgconfig_files,
            "arrow_soversion": arrow_soversion,
            "pg_strom_make_params": make_params,
            "pip_hash_mismatch": pip_hash_mismatch,
            "pg_tuning": pg_tuning,
            "pg_preload_merge": pg_preload_merge,
            "pg_conf_value": pg_conf_value,
            "pg_hba_lines": pg_hba_lines,
            "pg_hba_problems": pg_hba_problems,
            "pg_settings_problems": pg_settings_problems,
            "pg_privileges_problems": pg_privileges_problems,
            "fill_defaults": fill_defaults,
        }
