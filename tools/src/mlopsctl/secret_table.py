"""The platform's generated secrets: one table, read by Ansible (the lookup `platform_secret` in tools/ansible/lookup,
which group_vars call) and by mlopsctl (rotation, the Kubernetes Secrets, ML accounts).

Each secret is a file in the inventory's .secrets/, made once on the control node (letters and digits, its length
below) unless the matching variable is given, and kept by some host: a second checkout reads it back from there
instead of making a new one (playbooks/tasks/secrets.yml)."""

from __future__ import annotations

import base64
import re
import string
from dataclasses import dataclass
from typing import Literal

ALPHABET = string.ascii_letters + string.digits

# Where the platform keeps the value, so a checkout without it reads it back or refuses to make a new one: the Airflow
# host's configuration and account files, the backup host's pgBackRest configuration, the Kubernetes cluster's
# Secrets (never read back: it must be given), or nowhere (a first password its owner may change).
KeptOn = Literal["airflow", "backup", "cluster", "nowhere"]

# Platform features a secret can be tied to (the lookup's features=), and what each is.
FEATURES = {"celery": "CeleryExecutor platforms only"}


@dataclass(frozen=True)
class Secret:
    """One generated secret. `name` is its file in .secrets/; `{name}` in it stands for an account's name."""

    name: str
    length: int
    kept_on: KeptOn
    variable: str
    what: str
    # How the variable is made from the file's value: as it is, or a Fernet key (url-safe base64 of the 32 letters).
    derive: Literal["plain", "fernet"] = "plain"
    # The name `mlopsctl secrets rotate` takes; empty: never rotated by the platform.
    rotate_as: str = ""
    # For a per-account secret: the accounts `mlopsctl secrets rotate` may replace (as the name of the file).
    rotate_accounts: tuple[str, ...] = ()
    # The FEATURES entry the secret exists only with; empty: every platform has it.
    only_with: str = ""

    def __post_init__(self) -> None:
        if self.only_with and self.only_with not in FEATURES:
            raise ValueError(f"{self.name}: only_with={self.only_with!r} is not one of {', '.join(FEATURES)}")

    def matches(self, file: str) -> bool:
        """Whether `file` is this secret (for a per-account secret: with any account's name in it)."""
        head, _, tail = self.name.partition("{name}")
        return file == self.name or (
            bool(_) and re.fullmatch(re.escape(head) + "[^/]+" + re.escape(tail), file) is not None
        )


SECRETS: tuple[Secret, ...] = (
    Secret(
        "postgresql_airflow_password",
        32,
        "airflow",
        "mlops_airflow_db_password",
        "the airflow database user's password",
        rotate_as="postgresql_airflow_password",
    ),
    Secret(
        "postgresql_dwh_password",
        32,
        "airflow",
        "mlops_dwh_db_password",
        "the dwh database user's password (Airflow's postgres_dwh connection)",
        rotate_as="postgresql_dwh_password",
    ),
    Secret(
        "postgresql_airflow_k8s_password",
        32,
        "cluster",
        "mlops_k8s_airflow_db_password",
        "the metadata database password of Airflow in a Kubernetes cluster",
    ),
    Secret(
        "airflow_admin_password",
        24,
        "airflow",
        "mlops_airflow_admin_password",
        "the Airflow admin account's password",
        rotate_as="airflow_admin_password",
    ),
    Secret(
        "airflow_password_{name}",
        24,
        "airflow",
        "airflow_users",
        "an Airflow account's password (the deployer's, the monitoring collector's and the ML team's)",
        rotate_accounts=("deployer",),
    ),
    Secret(
        "airflow_jwt_secret",
        48,
        "airflow",
        "mlops_airflow_jwt_secret",
        "the key Airflow's API tokens are signed with",
        rotate_as="airflow_jwt_secret",
    ),
    Secret(
        "airflow_api_secret_key",
        48,
        "airflow",
        "mlops_airflow_api_secret_key",
        "the API server's session key",
        rotate_as="airflow_api_secret_key",
    ),
    Secret(
        "airflow_fernet_seed",
        32,
        "airflow",
        "mlops_airflow_fernet_key",
        "the seed of the Fernet key Airflow encrypts connections and variables with",
        derive="fernet",
        rotate_as="airflow_fernet_key",
    ),
    Secret(
        "airflow_redis_password",
        32,
        "airflow",
        "mlops_airflow_redis_password",
        "the password the CeleryExecutor's Redis broker requires",
        only_with="celery",
    ),
    Secret(
        "postgresql_ml_{name}_password",
        32,
        "nowhere",
        "mlops_ml_db_passwords",
        "an ML staff member's first warehouse password (set only when the account is made)",
    ),
    # pgBackRest cannot re-encrypt a repository: never rotated.
    Secret(
        "pgbackrest_repo_cipher_pass",
        64,
        "backup",
        "pgbackrest_repo_cipher_pass",
        "the passphrase the backup repository is encrypted with",
    ),
)


def find(file: str) -> Secret:
    """The table's entry for a file of .secrets/; KeyError naming the known ones otherwise."""
    for secret in SECRETS:
        if secret.matches(file):
            return secret
    raise KeyError(f"{file!r} is not a platform secret; known: {', '.join(s.name for s in SECRETS)}")


def derived(secret: Secret, value: str) -> str:
    """The variable's value for the file's value."""
    return fernet_key(value) if secret.derive == "fernet" else value


def fernet_key(seed: str) -> str:
    """The Fernet key of a 32-character seed: its url-safe base64 (32 bytes, as Fernet wants)."""
    return base64.urlsafe_b64encode(seed.encode()).decode()


def rotatable() -> dict[str, str]:
    """`mlopsctl secrets rotate`'s names -> the file each replaces."""
    names = {s.rotate_as: s.name for s in SECRETS if s.rotate_as}
    for secret in SECRETS:
        names.update({(file := secret.name.replace("{name}", a)): file for a in secret.rotate_accounts})
    return names
