"""The minimal DAG of "Writing a DAG" (docs/snippets/minimal_dag.py) follows the same rules as the DAGs in dags/.
The platform test runs it for real, in one process with dag.test(), as an ML user against db01."""

from __future__ import annotations

from pathlib import Path

from airflow.models.dagbag import DagBag

SNIPPET = Path(__file__).resolve().parents[2] / "docs/snippets/minimal_dag.py"


def test_the_minimal_dag_imports_and_follows_the_rules() -> None:
    bag = DagBag(dag_folder=str(SNIPPET))
    assert bag.import_errors == {}
    assert list(bag.dag_ids) == ["minimal_pipeline"], "copied as told, it must define exactly one DAG"
    dag = bag.dags["minimal_pipeline"]
    assert dag.tags and dag.is_paused_upon_creation is True and dag.max_active_runs == 1
    assert [t.task_id for t in dag.topological_sort()] == ["extract", "summarize", "load"]
    assert all(t.owner not in ("", "airflow") and t.retries >= 1 for t in dag.tasks)
