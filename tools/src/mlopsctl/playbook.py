"""The one way mlopsctl runs ansible-playbook: with the checkout's ansible.cfg, Ansible's own output streamed to the
terminal (or kept in a log file), and the result per host read from Ansible's stats, never from its output.

The stats come from the checkout's callback plugin tools/ansible/callback/mlops_stats.py, enabled for each run only
through its environment: it writes the play recap's counts as JSON to a file of that run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.progress import step

CALLBACK = "mlops_stats"
CALLBACK_DIR = Path("tools/ansible/callback")
# The variable the plugin reads the stats file's path from.
STATS_FILE = "MLOPS_STATS_FILE"
TAIL_LINES = 15


@dataclass(frozen=True)
class HostStats:
    """One host's counts in the play recap."""

    ok: int = 0
    changed: int = 0
    failures: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class PlaybookResult:
    """How a run ended: ansible-playbook's exit status, its duration, and the recap of every host it reached."""

    playbook: str
    returncode: int
    seconds: float
    hosts: dict[str, HostStats]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def changed(self) -> int:
        return sum(host.changed for host in self.hosts.values())

    @property
    def failed_hosts(self) -> list[str]:
        return [name for name, host in self.hosts.items() if host.failures or host.unreachable]


def ansible_tool(name: str) -> str:
    """An Ansible command (ansible-playbook, ansible, ansible-galaxy) beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


def first_host_vars(root: Path, inventory: Path, group: str, why: str) -> tuple[str, dict[str, Any]]:
    """The first host of `group` and its variables (untemplated), as ansible-inventory reads the inventory;
    `why` ends the error of an inventory without such a host."""
    if not inventory.is_file():
        raise ConfigError(f"inventory {inventory} does not exist: run `mlopsctl up` (or pass --inventory)")
    done = subprocess.run(
        [ansible_tool("ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg"), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True"},
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CommandError(f"ansible-inventory could not read {inventory}: {last}")
    listing = json.loads(done.stdout)
    hosts = listing.get(group, {}).get("hosts", [])
    if not hosts:
        raise ConfigError(f"inventory {inventory} has no {group} host: {why}")
    return hosts[0], listing.get("_meta", {}).get("hostvars", {}).get(hosts[0], {})


def parse_stats(text: str, source: str) -> dict[str, HostStats]:
    """The plugin's JSON, {"hosts": {HOST: {COUNT: N}}}, as HostStats per host."""
    known = {f.name for f in fields(HostStats)}
    try:
        hosts = json.loads(text)["hosts"]
        return {
            str(name): HostStats(**{key: int(value) for key, value in counts.items() if key in known})
            for name, counts in hosts.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CommandError(
            f"{source} is not what tools/ansible/callback/{CALLBACK}.py writes ({exc!r}): "
            "restore that plugin of the checkout"
        ) from None


def read_stats(path: Path) -> dict[str, HostStats]:
    """The stats of a run; none when ansible-playbook stopped before any play (a syntax error, --syntax-check)."""
    return parse_stats(path.read_text(), str(path)) if path.is_file() else {}


def _joined(first: str, current: str | None, separator: str) -> str:
    return separator.join([first, current]) if current else first


def _environment(root: Path, stats_file: Path, overrides: Mapping[str, str] | None) -> dict[str, str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(root / "ansible.cfg"), **(overrides or {})}
    # The checkout's ansible.cfg sets neither: the plugin is added to what the caller's environment already enables.
    env["ANSIBLE_CALLBACK_PLUGINS"] = _joined(str(root / CALLBACK_DIR), env.get("ANSIBLE_CALLBACK_PLUGINS"), os.pathsep)
    env["ANSIBLE_CALLBACKS_ENABLED"] = _joined(CALLBACK, env.get("ANSIBLE_CALLBACKS_ENABLED"), ",")
    env[STATS_FILE] = str(stats_file)
    return env


def failure_message(result: PlaybookResult, log: Path | None = None) -> str:
    """What a failed run says: the failed hosts, where Ansible's message is, and what to do next."""
    where = f" on {', '.join(result.failed_hosts)}" if result.failed_hosts else ""
    if log is None:
        return (
            f"{result.playbook} failed (exit {result.returncode}){where}; the failed task is printed above. "
            "Fix it and run the same command again: every step is idempotent."
        )
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-TAIL_LINES:])
    return (
        f"{result.playbook} failed (exit {result.returncode}){where}; its output is in {log}, which ends:\n{tail}\n"
        "Fix it and run the same command again: every step is idempotent."
    )


def run_playbook(
    root: Path,
    playbook: str | Sequence[str],
    inventory: Path | str | None,
    extra: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    check: bool = True,
) -> PlaybookResult:
    """Run playbook(s) of the checkout; Ansible's output goes to the terminal, or only into `log` when one is given.

    `inventory`: a file (which must exist), a host list such as "localhost,", or None (ansible.cfg's or the extra
    arguments'). `env` is added to this process's environment. With `check`, a failed run raises CommandError."""
    playbooks = [playbook] if isinstance(playbook, str) else list(playbook)
    name = " ".join(playbooks)
    if isinstance(inventory, Path) and not inventory.is_file():
        raise CommandError(f"inventory {inventory} does not exist: run `mlopsctl hosts up` first")
    cmd = [ansible_tool("ansible-playbook"), *(["-i", str(inventory)] if inventory is not None else []), *playbooks]
    cmd += extra
    with tempfile.TemporaryDirectory(prefix="mlops-playbook-") as tmp:
        stats = Path(tmp) / "stats.json"
        run_env = _environment(root, stats, env)
        if inventory is not None and "--syntax-check" not in extra:
            # An inventory that cannot be read stops the run instead of running it on no host (not in ansible.cfg:
            # ansible-lint and syntax checks run without one).
            run_env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "True"
        start = time.monotonic()
        if log is None:
            with step(f"ansible-playbook {name}"):
                code = subprocess.run(cmd, cwd=root, env=run_env).returncode
        else:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("w") as out:
                code = subprocess.run(cmd, cwd=root, env=run_env, stdout=out, stderr=subprocess.STDOUT).returncode
        result = PlaybookResult(name, code, time.monotonic() - start, read_stats(stats))
    if check and not result.ok:
        raise CommandError(failure_message(result, log))
    # Ansible reports an inventory without the playbook's hosts as a success that did nothing.
    if check and not result.hosts and "--syntax-check" not in extra:
        raise CommandError(
            f"{name} ran on no host: the inventory ({inventory or 'ansible.cfg'}) has none of the hosts it is for; "
            "check the path, or run `mlopsctl hosts up`"
        )
    return result
