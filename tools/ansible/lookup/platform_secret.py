"""Lookup platform_secret of the platform's checkout (not of the collection): a secret of .secrets/ by its table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase

# The table is mlopsctl's (tools/src): Ansible loads a plugin from its file, so the package is found beside it.
_TOOLS_SRC = str(Path(__file__).resolve().parents[2] / "src")
if _TOOLS_SRC not in sys.path:
    sys.path.insert(0, _TOOLS_SRC)

from mlopsctl import secret_table  # noqa: E402

DOCUMENTATION = """
name: platform_secret
author: datatech MLOps platform team (@datatech)
short_description: a generated secret of the platform, by the one table of them (mlopsctl/secret_table.py)
description:
  - With names, returns each secret's value for its variable. The value is the file of that name in O(dir), made once
    with the table's length (letters and digits, by ansible.builtin.password, so concurrent hosts get one value), and
    derived as the table says (the Fernet key from its seed).
  - With no names and O(kept_on), returns the names of the secrets kept there, per-account ones once for each of
    O(accounts), which is what a second checkout reads back instead of making anew.
options:
  _terms:
    description: Names of secrets (files of the inventory's .secrets/).
  dir:
    description: The inventory's secrets directory (mlops_secrets_dir).
    type: str
  kept_on:
    description: Where the listed secrets are kept (airflow, backup, cluster, nowhere).
    type: list
    elements: str
    default: []
  accounts:
    description: Account names for the per-account secrets of the list.
    type: list
    elements: str
    default: []
  features:
    description: The platform's features (e.g. celery); a secret the table ties to a feature is listed only with it.
    type: list
    elements: str
    default: []
"""


class LookupModule(LookupBase):
    """Ansible entry point."""

    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        if not terms:
            return self._names(self.get_option("kept_on"), self.get_option("accounts"), self.get_option("features"))
        directory = self.get_option("dir")
        if not directory:
            raise AnsibleLookupError("platform_secret: dir= (the inventory's .secrets/) is required with names")
        password = lookup_loader.get("ansible.builtin.password", loader=self._loader, templar=self._templar)
        values = []
        for name in terms:
            try:
                secret = secret_table.find(name)
            except KeyError as exc:
                raise AnsibleLookupError(f"platform_secret: {exc.args[0]}") from None
            spec = f"{Path(directory) / name} length={secret.length} chars=ascii_letters,digits"
            values.append(secret_table.derived(secret, password.run([spec], variables)[0]))
        return values

    @staticmethod
    def _names(kept_on: list[str], accounts: list[str], features: list[str]) -> list[str]:
        names = []
        for secret in secret_table.SECRETS:
            if secret.kept_on in kept_on and (not secret.only_with or secret.only_with in features):
                per_account = "{name}" in secret.name
                names += [secret.name.replace("{name}", a) for a in accounts] if per_account else [secret.name]
        return names
