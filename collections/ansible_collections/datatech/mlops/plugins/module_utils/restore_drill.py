"""The restore drill's steps on the repository host: what the scratch copy is given, what its answers mean.

Plain standard library on purpose: the pgbackrest role copies this file beside files/mlops_restore_drill.py on the
repository host, where `mlopsctl db verify` (through the role's `verify` entry point) and the drill's weekly timer run
it with the host's python3. The script beside it runs the commands; this file decides what they are given and what
their output says, so both are unit-tested here.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

# A scratch-directory and restore-point stamp (fullmatch): the drill makes both from a UTC time.
STAMP = re.compile(r"[0-9]{8}T[0-9]{6}Z")
# The restore point the Ansible drill makes; the timer's drill restores to the end of the archive instead.
RESTORE_POINT = re.compile(r"mlops-verify-[0-9]{8}T[0-9]{6}Z")
# pg_isready's answers (its exit status).
READY, REJECTING, NO_RESPONSE = 0, 1, 2
# Lines of the copy's server log and pgBackRest's archive-get log worth a report.
FAULT = re.compile(r"FATAL|PANIC|ERROR")


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """Why the drill's settings file (written by the pgbackrest role) cannot be used; empty when it can."""
    problems = []
    for key in ("stanza", "pg_bin", "path", "database", "count_query", "result"):
        if not isinstance(settings.get(key), str) or not settings[key]:
            problems.append(f"{key} must be a non-empty string")
    timeout = settings.get("timeout")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        problems.append("timeout must be a positive number of seconds")
    return problems


def run_problems(stamp: str, target_name: str) -> list[str]:
    """Why a run's stamp or restore point name is unusable (they name a directory and go into the copy's settings)."""
    problems = []
    if not STAMP.fullmatch(stamp):
        problems.append(f"the stamp {stamp!r} is not YYYYMMDDTHHMMSSZ")
    if target_name and not RESTORE_POINT.fullmatch(target_name):
        problems.append(f"the restore point {target_name!r} is not mlops-verify-YYYYMMDDTHHMMSSZ")
    return problems


def pgbackrest_here(stanza: str, scratch: str) -> list[str]:
    """pgBackRest's options that make it restore and read WAL on this host, into scratch (the repository host's
    configuration names the PostgreSQL host)."""
    return [f"--stanza={stanza}", "--reset-pg1-host", f"--pg1-path={scratch}"]


def restore_argv(stanza: str, scratch: str, spool: str, target_name: str) -> list[str]:
    """The restore: the latest backup, replayed to the named restore point, or to the end of the archive without."""
    argv = ["pgbackrest", *pgbackrest_here(stanza, scratch), f"--spool-path={spool}", "--log-level-console=warn"]
    if target_name:
        argv += ["--type=name", f"--target={target_name}", "--target-action=promote"]
    return [*argv, "restore"]


def copy_files(stanza: str, scratch: str, target_name: str) -> dict[str, str]:
    """The copy's own settings files: a private socket, no network, no archiving, no preloaded libraries, read-only
    sessions, and sessions only once it is promoted (hot_standby off). Debian keeps postgresql.conf outside the data
    directory, so the copy has none; the live cluster's ALTER SYSTEM settings must not apply to it either."""
    restore_command = " ".join(
        [*map(shlex.quote, ["pgbackrest", *pgbackrest_here(stanza, scratch)]), "archive-get", "%f", '"%p"']
    )
    auto = [
        "listen_addresses = ''",
        f"unix_socket_directories = '{scratch}'",
        "shared_preload_libraries = ''",
        "archive_mode = off",
        "hot_standby = off",
        "default_transaction_read_only = on",
        "restore_command = '" + restore_command.replace("'", "''") + "'",
    ]
    if target_name:
        auto += [f"recovery_target_name = '{target_name}'", "recovery_target_action = promote"]
    return {
        "postgresql.conf": "# The restore drill's copy, removed when it ends.\n",
        "postgresql.auto.conf": "\n".join(auto) + "\n",
        "pg_hba.conf": "local all all trust\n",
        "pg_ident.conf": "",
    }


def parse_counts(output: str) -> dict[str, int]:
    """{schema.table: rows} from psql's unaligned, tuples-only, tab-separated answer to the count query."""
    counts = {}
    for line in output.splitlines():
        if not line.strip():
            continue
        table, sep, rows = line.rpartition("\t")
        if not sep or not table or not rows.strip().isdigit():
            raise ValueError(f"unexpected line in the row counts: {line[:200]!r}")
        counts[table] = int(rows)
    return counts


def faults(lines: Sequence[str], keep: int = 6) -> list[str]:
    """The last few lines of the logs that say why the copy failed."""
    return [line.strip() for line in lines if FAULT.search(line)][-keep:]


def result(
    stamp: str,
    target_name: str,
    started: float,
    ended: float,
    counts: Mapping[str, int] | None,
    error: str,
    log: Sequence[str],
) -> dict[str, Any]:
    """The drill's report (printed, and kept as the last result the monitoring collector reads)."""
    ok = not error and counts is not None
    return {
        "ok": ok,
        "stamp": stamp,
        "target": target_name or "latest",
        "started": started,
        "ended": ended,
        "seconds": round(ended - started, 1),
        "tables": dict(sorted((counts or {}).items())),
        "rows": sum((counts or {}).values()),
        "error": "" if ok else (error or "the copy's row counts were not read"),
        "log": list(log),
    }
