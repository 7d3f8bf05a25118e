"""Example ML pipelines: a scikit-learn dataset goes into the data warehouse on db01, per-class feature statistics are
aggregated in SQL (on the GPU where pg_strom is loaded), a model is trained from the warehouse copy, and its metrics
and metadata are written back. One DAG per dataset: `iris_training` and `wine_training`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import Param, dag, get_current_context, task

from ml_pipeline import dataset, model, sql

# The Airflow connection to the data warehouse, provisioned by the platform (group_vars/airflow.yml).
DWH_CONN_ID = "postgres_dwh"

DEFAULT_ARGS = {"owner": "ml-team", "retries": 2, "retry_delay": timedelta(seconds=30)}


def _dwh() -> PostgresHook:
    return PostgresHook(postgres_conn_id=DWH_CONN_ID)


def training_dag(name: str, schedule: str | None, min_accuracy: float) -> None:
    @dag(
        dag_id=f"{name}_training",
        description=f"Train and evaluate a classifier on scikit-learn's {name} dataset, via the data warehouse",
        schedule=schedule,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["ml", "example", name],
        params={
            "min_accuracy": Param(min_accuracy, type="number", minimum=0, maximum=1),
            "regularization": Param(1.0, type="number", exclusiveMinimum=0),
        },
        doc_md=__doc__,
    )
    def pipeline() -> None:
        @task
        def load_samples() -> int:
            """Creates the tables if needed and replaces the samples with the dataset's rows, in one transaction."""
            data = dataset.load(name)
            truncate, insert = sql.replace_samples(name, data.feature_names)
            rows = [(i, *f, lbl) for i, (f, lbl) in enumerate(zip(data.features, data.labels, strict=True))]
            with _dwh().get_conn() as conn, conn.cursor() as cur:
                for statement in sql.create_statements(name, data.feature_names):
                    cur.execute(statement)
                cur.execute(truncate)
                cur.executemany(insert, rows)
            return len(rows)

        @task
        def aggregate_features(loaded: int) -> int:
            """Per-class feature statistics, computed where the data lives."""
            bind = {"dataset": name, "run_id": get_current_context()["run_id"]}
            with _dwh().get_conn() as conn, conn.cursor() as cur:
                for statement in sql.feature_stats(name, dataset.load(name).feature_names):
                    cur.execute(statement, bind)
                return cur.rowcount

        @task
        def train_and_record(loaded: int) -> dict[str, float]:
            """Trains from the warehouse copy of the samples, fails below the accuracy bar, records the model."""
            context = get_current_context()
            params = context["params"]
            columns = dataset.load(name).feature_names
            records = _dwh().get_records(sql.select_samples(name, columns))
            if len(records) != loaded:
                raise ValueError(f"read {len(records)} samples back but loaded {loaded}; was the table changed?")
            _, result = model.train_and_evaluate(
                [tuple(r[:-1]) for r in records], [r[-1] for r in records], regularization=params["regularization"]
            )
            model.quality_gate(result, params["min_accuracy"])
            row = {**result.__dict__, "params": json.dumps(result.params), "run_id": context["run_id"], "dataset": name}
            _dwh().run(sql.RECORD_MODEL, parameters=row)
            return {"accuracy": result.accuracy, "f1_macro": result.f1_macro}

        loaded = load_samples()
        aggregate_features(loaded)
        train_and_record(loaded)

    pipeline()


training_dag("iris", schedule=None, min_accuracy=0.9)
training_dag("wine", schedule="@weekly", min_accuracy=0.9)
