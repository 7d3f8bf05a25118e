"""`mlopsctl db backup|restore|verify`: pgBackRest through playbooks/db-backup.yml, db-restore.yml and db-verify.yml
(the restore drill), with every argument checked before anything runs on the hosts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from mlopsctl.errors import ConfigError

ACTIONS = ("backup", "restore", "verify")
BACKUP_TYPES = ("full", "diff", "incr")
PLAYBOOKS = {
    "backup": "playbooks/db-backup.yml",
    "restore": "playbooks/db-restore.yml",
    "verify": "playbooks/db-verify.yml",
}
TIME_EXAMPLE = "2026-01-31 13:45:00+01:00"


def parse_target(text: str, now: datetime | None = None) -> str:
    """An ISO 8601 time (UTC when it has no offset) as PostgreSQL's recovery target: 'YYYY-MM-DD HH:MM:SS.ffffff+00:00'.
    A time in the future is refused: no WAL reaches it, and recovery would stop short of it."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"db restore: --to {text!r} is not a time; write it like {TIME_EXAMPLE!r} (ISO 8601; UTC without an offset)"
        ) from None
    try:
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ConfigError(
            f"db restore: --to {text!r} is before year 1 in UTC; give a time the archive can hold"
        ) from None
    now = now or datetime.now(UTC)
    if when > now:
        raise ConfigError(
            f"db restore: --to {when:%Y-%m-%d %H:%M:%S} UTC is in the future (now {now:%Y-%m-%d %H:%M:%S} UTC); "
            "use --latest for the newest state the archive holds"
        )
    return when.isoformat(sep=" ", timespec="microseconds")


@dataclass(frozen=True)
class DbRun:
    """What `mlopsctl db` runs: a playbook, its extra vars and a line saying what it does."""

    playbook: str
    extra_vars: dict[str, object]
    title: str

    def args(self) -> list[str]:
        return ["-e", json.dumps(self.extra_vars)]


def plan(
    action: str,
    backup_type: str | None = None,
    to: str | None = None,
    latest: bool = False,
    remove_old: bool = False,
    now: datetime | None = None,
) -> DbRun:
    """Check the combination of arguments and build the playbook run; nothing has changed when this raises."""
    if action not in ACTIONS:
        raise ConfigError(f"db: unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if action == "backup":
        if to is not None or latest or remove_old:
            raise ConfigError("db backup: --to, --latest and --remove-old belong to `mlopsctl db restore`")
        kind = backup_type or "full"
        if kind not in BACKUP_TYPES:
            raise ConfigError(f"db backup: --type {kind!r} is not one of {', '.join(BACKUP_TYPES)}")
        return DbRun(PLAYBOOKS[action], {"pgbackrest_backup_type": kind}, f"{kind} backup of the database host")
    now = now or datetime.now(UTC)
    if action == "verify":
        if backup_type is not None or to is not None or latest or remove_old:
            raise ConfigError("db verify takes no options: it restores the latest backup to a restore point it makes")
        # Both hosts and the report name the drill's restore point and scratch directory by this stamp.
        extra = {"pgbackrest_verify_stamp": f"{now:%Y%m%dT%H%M%SZ}"}
        return DbRun(PLAYBOOKS[action], extra, "restore drill of the latest backup on the backup host")
    if backup_type is not None:
        raise ConfigError("db restore: --type belongs to `mlopsctl db backup`")
    if (to is None) == (not latest):
        raise ConfigError("db restore: say what to restore to, either --to TIMESTAMP or --latest (not both)")
    target = "latest" if latest else parse_target(to or "", now)
    extra: dict[str, object] = {
        "pgbackrest_restore_target": target,
        # The set-aside data directory's suffix is decided here, so it can be named in the final report.
        "pgbackrest_restore_stamp": f"{now:%Y%m%dT%H%M%SZ}",
        "pgbackrest_restore_remove_old": remove_old,
    }
    title = "restore to the end of the archived WAL" if latest else f"point-in-time restore to {target}"
    return DbRun(PLAYBOOKS[action], extra, title)
