"""SQL the pipeline runs on the data warehouse; identifiers come from code, never from user input."""

from __future__ import annotations

SCHEMA = "ml"


def samples_table(dataset: str) -> str:
    return f"{SCHEMA}.{dataset}_samples"


def create_statements(dataset: str, feature_columns: tuple[str, ...]) -> list[str]:
    """Tables of one dataset's samples, its per-class feature statistics, and the shared model registry."""
    features = ", ".join(f"{col} double precision NOT NULL" for col in feature_columns)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"CREATE TABLE IF NOT EXISTS {samples_table(dataset)} ("
        f"sample_id integer PRIMARY KEY, {features}, label text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.feature_stats ("
        "dataset text NOT NULL, run_id text NOT NULL, label text NOT NULL, feature text NOT NULL, "
        "n bigint NOT NULL, mean double precision, stddev double precision, "
        "min double precision, max double precision, PRIMARY KEY (dataset, run_id, label, feature))",
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.model_runs ("
        "run_id text NOT NULL, dataset text NOT NULL, model_class text NOT NULL, params jsonb NOT NULL, "
        "n_train integer NOT NULL, n_test integer NOT NULL, accuracy double precision NOT NULL, "
        "f1_macro double precision NOT NULL, model_sha256 text NOT NULL, model_bytes integer NOT NULL, "
        "trained_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, dataset))",
    ]


def replace_samples(dataset: str, feature_columns: tuple[str, ...]) -> tuple[str, str]:
    """Empties the samples table, then the INSERT one row at a time binds to (the load is a full refresh)."""
    columns = ", ".join(("sample_id", *feature_columns, "label"))
    placeholders = ", ".join(["%s"] * (len(feature_columns) + 2))
    return (
        f"TRUNCATE {samples_table(dataset)}",
        f"INSERT INTO {samples_table(dataset)} ({columns}) VALUES ({placeholders})",
    )


def feature_stats(dataset: str, feature_columns: tuple[str, ...]) -> tuple[str, str]:
    """Per-class statistics of every feature: a GROUP BY aggregation that pg_strom runs on the GPU (GpuPreAgg).

    Two statements (clear this run's rows, then insert), as drivers that prepare statements take one at a time."""
    selects = " UNION ALL ".join(
        f"SELECT %(dataset)s, %(run_id)s, label, '{col}', count(*), avg({col}), stddev({col}), min({col}), "
        f"max({col}) FROM {samples_table(dataset)} GROUP BY label"
        for col in feature_columns
    )
    return (
        f"DELETE FROM {SCHEMA}.feature_stats WHERE dataset = %(dataset)s AND run_id = %(run_id)s",
        f"INSERT INTO {SCHEMA}.feature_stats (dataset, run_id, label, feature, n, mean, stddev, min, max) {selects}",
    )


def select_samples(dataset: str, feature_columns: tuple[str, ...]) -> str:
    return f"SELECT {', '.join(feature_columns)}, label FROM {samples_table(dataset)} ORDER BY sample_id"


RECORD_MODEL = (
    f"INSERT INTO {SCHEMA}.model_runs (run_id, dataset, model_class, params, n_train, n_test, accuracy, f1_macro, "
    "model_sha256, model_bytes) VALUES (%(run_id)s, %(dataset)s, %(model_class)s, %(params)s, %(n_train)s, "
    "%(n_test)s, %(accuracy)s, %(f1_macro)s, %(model_sha256)s, %(model_bytes)s) "
    "ON CONFLICT (run_id, dataset) DO UPDATE SET model_class = EXCLUDED.model_class, params = EXCLUDED.params, "
    "n_train = EXCLUDED.n_train, n_test = EXCLUDED.n_test, accuracy = EXCLUDED.accuracy, "
    "f1_macro = EXCLUDED.f1_macro, model_sha256 = EXCLUDED.model_sha256, model_bytes = EXCLUDED.model_bytes, "
    "trained_at = now()"
)
