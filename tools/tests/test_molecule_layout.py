"""Where the molecule scenarios live: each role's own beside it in the collection (run from the role's directory),
the platform's playbooks' at the root (molecule/platform_*); one copy of the shared create and destroy playbooks,
and one base config whose paths hold from either place."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from conftest import COLLECTION, ROOT

ROLE_SCENARIOS = sorted(COLLECTION.glob("roles/*/molecule/*/molecule.yml"))
PLATFORM_SCENARIOS = sorted(ROOT.glob("molecule/*/molecule.yml"))
BASE = ROOT / ".config/molecule/config.yml"


def base_config(project: Path) -> dict:
    """The base config as molecule reads it with MOLECULE_PROJECT_DIRECTORY=project (tools/run-tests.sh: the root)."""
    return yaml.safe_load(BASE.read_text().replace("${MOLECULE_PROJECT_DIRECTORY}", str(project)))


def test_every_scenario_name_and_subnet_is_its_own() -> None:
    files = ROLE_SCENARIOS + PLATFORM_SCENARIOS
    names = [f.parent.name for f in files]
    assert len(names) == len(set(names)) >= 9, names
    subnets = re.findall(r"\b10\.213\.\d+\.0/24\b", "".join(f.read_text() for f in files))
    assert len(subnets) == len(set(subnets)), subnets


def test_a_role_scenario_tests_its_role_with_role_variables_not_the_platform() -> None:
    assert {f.parent.name for f in ROLE_SCENARIOS} == {
        "data_dir",
        "no_gpu_strict",
        "pg_strom_fallback",
        "pg_strom_build",
        "backup",
        "monitoring",
    }
    for scenario in {f.parent for f in ROLE_SCENARIOS}:
        for path in scenario.rglob("*.yml"):
            text = path.read_text()
            assert "import_playbook" not in text and "group_vars/" not in text, path
            # Shared tasks come through mol_shared_dir (the base config), never a path out of the collection.
            assert not re.search(r"(include_tasks|import_tasks|vars_files|src):?\s+\S*\.\./\.\./\.\./", text), path
        roles = set(re.findall(r"datatech\.mlops\.(\w+)", (scenario / "converge.yml").read_text()))
        assert scenario.parent.parent.name in roles, scenario


def test_the_platforms_scenarios_run_its_playbooks() -> None:
    assert {f.parent.name for f in PLATFORM_SCENARIOS} == {
        "platform_db",
        "platform_airflow",
        "platform_celery",
        "platform_dag_bundle",
        "platform_db_docker",
    }
    for scenario in PLATFORM_SCENARIOS:
        assert "../../playbooks/" in (scenario.parent / "converge.yml").read_text(), scenario


def test_the_base_config_points_into_the_checkout_and_the_shared_playbooks_are_one_copy() -> None:
    config = base_config(ROOT)
    playbooks = config["provisioner"]["playbooks"]
    defaults = config["provisioner"]["config_options"]["defaults"]
    assert Path(playbooks["create"]) == ROOT / "molecule/shared/create.yml"
    assert Path(playbooks["destroy"]) == ROOT / "molecule/shared/destroy.yml"
    assert Path(defaults["collections_path"]) == ROOT / "collections"
    assert Path(config["provisioner"]["env"]["ANSIBLE_COLLECTIONS_PATH"]) == ROOT / "collections"
    assert (Path(defaults["strategy_plugins"]) / f"{defaults['strategy']}.py").is_file()
    assert (Path(config["provisioner"]["inventory"]["group_vars"]["all"]["mol_shared_dir"]) / "tasks").is_dir()
    # ansible-compat's prerun would build and install the whole collection from a role's directory.
    assert config["prerun"] is False
    copies = [*ROOT.glob("molecule/**/create.yml"), *COLLECTION.glob("roles/*/molecule/**/create.yml")]
    assert copies == [ROOT / "molecule/shared/create.yml"], copies
    # Only the docker driver's scenario makes its hosts another way (and keeps Ansible's own strategy).
    for scenario in ROLE_SCENARIOS + PLATFORM_SCENARIOS:
        data = yaml.safe_load(scenario.read_text())
        own = data.get("provisioner", {}).get("playbooks", {})
        assert ("create" in own) is (scenario.parent.name == "platform_db_docker"), scenario
    docker = yaml.safe_load((ROOT / "molecule/platform_db_docker/molecule.yml").read_text())
    assert docker["provisioner"]["config_options"]["defaults"]["strategy"] == "ansible.builtin.linear"
