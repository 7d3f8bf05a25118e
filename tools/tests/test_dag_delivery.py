"""`mlopsctl dags deploy|rollback` to the VMs: the delivery role's arguments, checked before anything runs."""

import json
from pathlib import Path

from mlopsctl.dags import dags_extra_vars


def test_dags_deploy_passes_source_and_run_as_one_json_document(root: Path) -> None:
    args = dags_extra_vars(source=root / "dags", run="iris_training")
    assert args[0] == "-e"
    assert json.loads(args[1]) == {"dags_source_dir": str((root / "dags").resolve()), "dags_run": "iris_training"}
    assert json.loads(dags_extra_vars(rollback=True)[1]) == {"dags_rollback": True}
    assert dags_extra_vars() == []
