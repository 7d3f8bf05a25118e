"""`mlopsctl dags deploy|rollback` to the VMs: the delivery role's arguments, checked before anything runs."""

import json
import re
from pathlib import Path

import pytest

from mlopsctl.dags import dags_extra_vars
from mlopsctl.errors import ConfigError


def test_dags_deploy_passes_source_and_run_as_one_json_document(root: Path) -> None:
    args = dags_extra_vars(source=root / "dags", run="iris_training")
    assert args[0] == "-e"
    assert json.loads(args[1]) == {"dags_source_dir": str((root / "dags").resolve()), "dags_run": "iris_training"}
    assert json.loads(dags_extra_vars(rollback=True)[1]) == {"dags_rollback": True}
    assert dags_extra_vars() == []


def test_dags_deploy_logs_in_as_the_deploy_account_when_asked(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("private\n")
    args = dags_extra_vars(ssh_user="mlops-deploy", ssh_key=key)
    assert json.loads(args[1]) == {"ansible_user": "mlops-deploy", "ansible_ssh_private_key_file": str(key)}


@pytest.mark.parametrize(
    ("user", "key", "message"),
    [
        ("root; id", None, "--ssh-user 'root; id' is not a user name"),
        ("Deploy", None, "is not a user name"),
        ("mlops-deploy\n", None, "is not a user name"),
        ("", "missing", "--ssh-key"),
        ("", ".", "is not a file"),
    ],
)
def test_dags_deploy_refuses_a_bad_deploy_login(tmp_path: Path, user: str, key: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        dags_extra_vars(ssh_user=user, ssh_key=None if key is None else tmp_path / key)
