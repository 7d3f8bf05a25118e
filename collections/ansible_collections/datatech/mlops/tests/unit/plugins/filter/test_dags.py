"""The dags role's filters, rendered as its tasks use them on Airflow's API answers."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template


def render(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template("{{ " + expression + " }}"))


LIVE = {"release": "b", "dags": ["stay", "new"], "parsed_after": "2026-11-23T21:30:05", "bundle": "", "version": ""}


def dag(dag_id: str, parsed: str | None = "2026-11-23T21:30:06Z", **fields) -> dict:
    return {"dag_id": dag_id, "is_stale": False, "has_import_errors": False, "last_parsed_time": parsed, **fields}


def test_readiness_as_visible_yml_polls_it() -> None:
    expression = (
        "api.json.dags | default([]) | datatech.mlops.dags_readiness(live.dags, live.parsed_after, live.bundle,"
        " live.version)"
    )
    api = {"json": {"dags": [dag("stay"), dag("new", parsed="2026-11-23T21:00:00Z")]}}
    assert render(expression, api=api, live=LIVE) == {"not_ready": ["new"], "unexpected": []}
    # A failed request has no JSON: nothing is ready yet.
    assert render(expression, api={"status": -1}, live=LIVE) == {"not_ready": ["stay", "new"], "unexpected": []}
    bundle = {**LIVE, "bundle": "dags-git", "version": "c2", "parsed_after": ""}
    listed = [dag(i, bundle_name="dags-git", bundle_version="c2") for i in ("stay", "new", "gone")]
    assert render(expression, api={"json": {"dags": listed}}, live=bundle) == {"not_ready": [], "unexpected": ["gone"]}


def test_import_errors_and_task_states_read_as_the_deploys_messages_quote_them() -> None:
    errors = [{"filename": "/var/lib/airflow/dags/x.py", "stack_trace": "Traceback\n  ...\nNameError: name 'y'"}]
    assert render("e | datatech.mlops.dags_import_errors | join('; ') or 'none'", e=errors) == (
        "/var/lib/airflow/dags/x.py: NameError: name 'y'"
    )
    assert render("[] | datatech.mlops.dags_import_errors | join('; ') or 'none'") == "none"
    tasks = [{"task_id": "load", "state": "success"}, {"task_id": "train", "state": "upstream_failed"}]
    assert render("t | datatech.mlops.dags_task_states", t=tasks) == "load=success, train=upstream_failed"


def test_an_answer_that_is_not_a_list_of_objects_is_refused() -> None:
    with pytest.raises(AnsibleError, match="dags_task_states: expected a list of objects"):
        render("'text' | datatech.mlops.dags_task_states")
