# Managed by the datatech.mlops.pgbackrest role: changes here are overwritten.
"""The restore drill on the repository host, run as the repository's user.

    mlops_restore_drill.py --settings /etc/pgbackrest/mlops-drill.json [--stamp STAMP] [--target-name NAME] [--verify]

Restores the latest backup into a scratch directory of its own (PATH/STAMP), replays WAL to the restore point NAME
(or to the end of the archive), starts the copy read-only on a private socket, reads each table's row count and
always stops and removes the copy. --verify first checks the repository against its checksums (pgbackrest verify).
Prints the report as JSON, keeps it as the last result (the monitoring collector reads it) and exits 1 when the
drill failed. The decisions are in restore_drill.py beside this file (the collection's module_utils, unit-tested).
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import restore_drill as rd


class DrillError(Exception):
    """A step failed; the message says which and why."""


def run(argv: list[str], timeout: float, what: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DrillError(f"{what} took longer than {timeout:.0f}s") from None
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise DrillError(f"{what} failed: {last}")
    return done.stdout


def verify(settings: dict[str, Any]) -> None:
    """pgbackrest verify; some releases exit 0 with errors found and only print them."""
    out = run(["pgbackrest", f"--stanza={settings['stanza']}", "verify"], settings["timeout"], "pgbackrest verify")
    found = [
        line.strip()
        for line in out.splitlines()
        if any(word in line for word in ("status: error", "invalid", "missing", "ERROR"))
    ]
    if found:
        raise DrillError("pgbackrest verify found the repository damaged: " + " | ".join(found[-3:]))


def wait_ready(settings: dict[str, Any], scratch: str, deadline: float) -> None:
    """pg_ctl -w returns once recovery starts when hot_standby is off; sessions come only after the promotion."""
    while True:
        state = subprocess.run([f"{settings['pg_bin']}/pg_isready", "-q", "-h", scratch], check=False).returncode
        if state == rd.READY:
            return
        if state == rd.NO_RESPONSE:
            raise DrillError("the copy's server stopped before it accepted sessions")
        if time.monotonic() > deadline:
            raise DrillError(f"the copy did not reach its recovery target within {settings['timeout']}s")
        time.sleep(1)


def drill(settings: dict[str, Any], scratch: str, spool: str, target_name: str) -> dict[str, int]:
    deadline = time.monotonic() + settings["timeout"]
    run(rd.restore_argv(settings["stanza"], scratch, spool, target_name), settings["timeout"], "pgbackrest restore")
    for name, content in rd.copy_files(settings["stanza"], scratch, target_name).items():
        with open(os.path.join(scratch, name), "w", encoding="utf-8") as out:
            out.write(content)
        os.chmod(os.path.join(scratch, name), 0o600)
    log = os.path.join(scratch, "drill.log")
    pg_ctl = [f"{settings['pg_bin']}/pg_ctl", "-D", scratch, "-l", log, "-w", "-t", str(settings["timeout"]), "start"]
    run(pg_ctl, settings["timeout"] + 30, "the copy's start")
    wait_ready(settings, scratch, deadline)
    psql = [
        f"{settings['pg_bin']}/psql",
        "-X",
        "-A",
        "-t",
        "-F",
        "\t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        scratch,
        "-U",
        "postgres",
    ]
    out = run([*psql, "-d", settings["database"], "-c", settings["count_query"]], settings["timeout"], "the row count")
    return rd.parse_counts(out)


def log_lines(settings: dict[str, Any], scratch: str) -> list[str]:
    lines: list[str] = []
    for path in (os.path.join(scratch, "drill.log"), f"/var/log/pgbackrest/{settings['stanza']}-archive-get.log"):
        try:
            with open(path, encoding="utf-8", errors="replace") as source:
                lines += source.readlines()
        except OSError:
            continue
    return rd.faults(lines)


def cleanup(settings: dict[str, Any], scratch: str, spool: str) -> None:
    if os.path.exists(os.path.join(scratch, "postmaster.pid")):
        subprocess.run(
            [f"{settings['pg_bin']}/pg_ctl", "-D", scratch, "-m", "immediate", "stop"], capture_output=True, check=False
        )
    for path in (scratch, spool):
        shutil.rmtree(path, ignore_errors=True)


def keep(path: str, report: dict[str, Any]) -> None:
    """The last result, replaced atomically, readable by the monitoring collector (root)."""
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".last-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=2)
        out.write("\n")
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="The restore drill of the latest pgBackRest backup, on the repository host."
    )
    parser.add_argument("--settings", required=True, help="the drill's settings (JSON), written by the pgbackrest role")
    parser.add_argument(
        "--stamp", default="", help="the scratch directory's suffix, YYYYMMDDTHHMMSSZ (default: now, UTC)"
    )
    parser.add_argument(
        "--target-name", default="", help="replay WAL to this restore point (default: the end of the archive)"
    )
    parser.add_argument("--verify", action="store_true", help="check the repository's checksums first")
    args = parser.parse_args()
    with open(args.settings, encoding="utf-8") as source:
        settings = json.load(source)
    stamp = args.stamp or datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    problems = rd.settings_problems(settings) + rd.run_problems(stamp, args.target_name)
    if problems:
        print(f"mlops_restore_drill: {'; '.join(problems)}; nothing was changed", file=sys.stderr)
        return 2
    scratch = os.path.join(settings["path"], stamp)
    spool = scratch + ".spool"
    started = time.time()
    counts, error, log = None, "", []
    # One drill at a time (the timer's and an operator's): each needs the room of a whole copy.
    with open(os.path.join(settings["path"], ".drill.lock"), "w", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                "mlops_restore_drill: another restore drill is running on this host; run it again once it ended",
                file=sys.stderr,
            )
            return 2
        try:
            if args.verify:
                verify(settings)
            for path in (scratch, spool):
                os.makedirs(path, mode=0o700)
            counts = drill(settings, scratch, spool, args.target_name)
        except (DrillError, OSError, ValueError) as exc:
            error = str(exc)
            log = log_lines(settings, scratch)
        finally:
            cleanup(settings, scratch, spool)
    report = rd.result(stamp, args.target_name, started, time.time(), counts, error, log)
    keep(settings["result"], report)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
