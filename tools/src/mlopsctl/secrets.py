"""Explicit rotation of the platform's generated secrets (`mlopsctl secrets rotate NAME`).

A new value replaces the file in the inventory's .secrets/ (the old one is kept beside it as NAME.previous) and the
platform converges with it. The Fernet key goes through Airflow's two-key procedure, so nothing it encrypted becomes
unreadable: Airflow runs with "new,old", re-encrypts everything with the new key, then runs with the new key only."""

from __future__ import annotations

import base64
import string
from collections.abc import Callable
from pathlib import Path
from secrets import choice

from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.inventory import write_if_changed
from mlopsctl.progress import say

# Secret name -> (file in .secrets/, length of a new value); the files group_vars/all.yml's lookups read.
ROTATABLE = {
    "postgresql_airflow_password": ("postgresql_airflow_password", 32),
    "postgresql_dwh_password": ("postgresql_dwh_password", 32),
    "airflow_admin_password": ("airflow_admin_password", 24),
    "airflow_password_deployer": ("airflow_password_deployer", 24),
    "airflow_jwt_secret": ("airflow_jwt_secret", 48),
    "airflow_api_secret_key": ("airflow_api_secret_key", 48),
    "airflow_fernet_key": ("airflow_fernet_seed", 32),
}
ALPHABET = string.ascii_letters + string.digits

# (playbook, extra ansible-playbook arguments) -> None; raises CommandError on failure.
Runner = Callable[[str, list[str]], None]


def new_value(length: int) -> str:
    """Letters and digits, as the password lookup makes them."""
    return "".join(choice(ALPHABET) for _ in range(length))


def fernet_key(seed: str) -> str:
    """group_vars/all.yml's mlops_airflow_fernet_key for a seed."""
    return base64.urlsafe_b64encode(seed.encode()).decode()


def rotate(secrets_dir: Path, name: str, run: Runner, extra: list[str]) -> Path:
    """Replace the secret and converge; returns the file the previous value was kept in."""
    if name not in ROTATABLE:
        raise ConfigError(f"secrets rotate: unknown secret {name!r}; known: {', '.join(ROTATABLE)}")
    filename, length = ROTATABLE[name]
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
