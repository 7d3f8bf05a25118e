"""Explicit rotation of the platform's generated secrets (`mlopsctl secrets rotate NAME`).

A new value replaces the file in the inventory's .secrets/ (the old one is kept beside it as NAME.previous) and the
platform converges with it. The Fernet key goes through Airflow's two-key procedure, so nothing it encrypted becomes
unreadable: Airflow runs with "new,old", re-encrypts everything with the new key, then runs with the new key only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from secrets import choice

from mlopsctl import secret_table
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.inventory import write_if_changed
from mlopsctl.progress import say
from mlopsctl.secret_table import fernet_key

# Name `secrets rotate` takes -> the file of .secrets/ it replaces (the table's, which group_vars' lookups read).
ROTATABLE = secret_table.rotatable()

# (playbook, extra ansible-playbook arguments) -> None; raises CommandError on failure.
Runner = Callable[[str, list[str]], None]


def new_value(length: int) -> str:
    """Letters and digits, as the password lookup makes them."""
    return "".join(choice(secret_table.ALPHABET) for _ in range(length))


def rotate(secrets_dir: Path, name: str, run: Runner, extra: list[str]) -> Path:
    """Replace the secret and converge; returns the file the previous value was kept in."""
    if name not in ROTATABLE:
        raise ConfigError(f"secrets rotate: unknown secret {name!r}; known: {', '.join(ROTATABLE)}")
    filename = ROTATABLE[name]
    length = secret_table.find(filename).length
    current = secrets_dir / filename
    if not current.is_file():
        raise CommandError(
            f"{current} does not exist: converge the platform first (`mlopsctl converge`); a secret that was never "
            "made has nothing to rotate"
        )
    previous = secrets_dir / f"{filename}.previous"
    if previous.exists():
        # An unfinished rotation: the hosts may still run with that value, so it is never overwritten.
        raise CommandError(
            f"{previous} is still there: an earlier rotation of {name} was not confirmed. Run `mlopsctl converge` "
            f"until it succeeds, then delete {previous} and rotate again"
        )
    old = current.read_text().strip()
    new = new_value(length)
    write_if_changed(previous, old + "\n", mode=0o600)
    if name == "airflow_fernet_key":
        say("step 1/3: Airflow runs with the new and the old Fernet key")
        both = ["-e", f'{{"airflow_fernet_key": "{fernet_key(new)},{fernet_key(old)}"}}']
        run("playbooks/airflow.yml", both + extra)
        say("step 2/3: everything Airflow encrypted is re-encrypted with the new key")
        run("playbooks/rotate-fernet-key.yml", both + extra)
    write_if_changed(current, new + "\n", mode=0o600)
    say(f"{'step 3/3: ' if name == 'airflow_fernet_key' else ''}the platform converges with the new {name}")
    try:
        run("site.yml", extra)
    except CommandError as exc:
        raise CommandError(
            f"{exc} The new {name} is in {current} (the previous one in {previous}); run `mlopsctl converge` again "
            "to finish: the hosts take the new value on the next successful run."
        ) from exc
    if name == "airflow_password_deployer":
        say("update MLOPS_AIRFLOW_DEPLOY_PASSWORD in GitLab's CI/CD variables: deploy jobs log in with it")
    return previous
