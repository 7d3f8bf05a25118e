"""Every DAG in dags/ imports cleanly with Airflow itself and follows the team's rules."""

from __future__ import annotations

import pytest
from airflow.models.dagbag import DagBag
from conftest import DAGS_DIR


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS_DIR))


def test_no_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}, "\n".join(f"{f}: {e}" for f, e in dagbag.import_errors.items())


def test_example_pipelines_are_there(dagbag: DagBag) -> None:
    assert {"iris_training", "wine_training"} <= set(dagbag.dag_ids)


def test_every_dag_has_an_owner_tags_and_retries(dagbag: DagBag) -> None:
    problems = []
    for dag_id, dag in dagbag.dags.items():
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        for t in dag.tasks:
            if t.owner in ("", "airflow"):
                problems.append(f"{dag_id}.{t.task_id}: owner is {t.owner!r}; set default_args['owner'] to your team")
            if not t.retries:
                problems.append(f"{dag_id}.{t.task_id}: retries is {t.retries}; set default_args['retries'] >= 1")
    assert not problems, "\n".join(problems)


def test_no_cycles(dagbag: DagBag) -> None:
    for dag_id, dag in dagbag.dags.items():
        seen: set[str] = set()
        frontier = [t for t in dag.tasks if not t.upstream_task_ids]
        assert frontier, f"{dag_id}: every task has an upstream task, so the graph has a cycle"
        while frontier:
            current = frontier.pop()
            seen.add(current.task_id)
            frontier.extend(d for d in current.downstream_list if d.task_id not in seen and d.upstream_task_ids <= seen)
        assert seen == set(dag.task_ids), f"{dag_id}: tasks on a cycle: {sorted(set(dag.task_ids) - seen)}"


def test_pipeline_shape(dagbag: DagBag) -> None:
    dag = dagbag.dags["iris_training"]
    assert dag.get_task("load_samples").downstream_task_ids == {"aggregate_features", "train_and_record"}
    assert dag.schedule is None or dag.max_active_runs == 1
