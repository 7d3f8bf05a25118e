"""What collection users expect from the roles' tasks: a tag per part, one place for the PostgreSQL login."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"


def role_includes(role: str) -> list[dict]:
    tasks = yaml.safe_load((ROLES / f"{role}/tasks/main.yml").read_text())
    flat = [task for entry in tasks for task in entry.get("block", [entry])]
    return [task for task in flat if "ansible.builtin.include_tasks" in task]


@pytest.mark.parametrize("role", ["postgresql", "airflow"])
def test_every_part_of_the_role_has_its_tag_passed_to_its_tasks(role: str) -> None:
    includes = role_includes(role)
    assert includes
    for task in includes:
        include = task["ansible.builtin.include_tasks"]
        part = Path(include["file"]).stem
        assert f"{role}_{part}" in task["tags"] or (
            part.startswith("pg_strom") and "postgresql_pg_strom" in task["tags"]
        )
        assert include["apply"]["tags"] == task["tags"], f"{include['file']}: apply the tags, or its tasks skip them"
    # The settings check runs with any part (each needs its facts), and not with another role's tags.
    preflight = next(t for t in includes if t["ansible.builtin.include_tasks"]["file"] == "preflight.yml")
    assert set(preflight["tags"]) == {tag for t in includes for tag in t["tags"]}
    assert "always" not in preflight["tags"]


def test_postgresql_tasks_log_in_through_module_defaults_only() -> None:
    main = yaml.safe_load((ROLES / "postgresql/tasks/main.yml").read_text())
    defaults = main[0]["module_defaults"]["group/community.postgresql.all"]
    assert set(defaults) == {"login_unix_socket", "login_port"}
    for path in (ROLES / "postgresql/tasks").glob("*.yml"):
        for task in yaml.safe_load(path.read_text()) or []:
            for sub in [task, *task.get("block", []), *task.get("rescue", [])]:
                args = next((v for k, v in sub.items() if k.startswith("community.postgresql.")), None) or {}
                assert not {"port", "login_port", "login_unix_socket"} & set(args), f"{path.name}: {sub['name']}"
