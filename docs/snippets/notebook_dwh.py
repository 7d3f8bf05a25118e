"""Read the data warehouse from a notebook or a script: psycopg, SQLAlchemy and pandas.

The connection comes from the environment, so no password is ever written into a notebook:
DWH_HOST, DWH_PORT (default 5432), DWH_DB (default dwh), DWH_USER (default dwh), DWH_PASSWORD, and
DWH_SSLROOTCERT, the platform CA's certificate the server is verified with (TLS is required; DWH_SSLMODE
defaults to verify-full, which also checks that DWH_HOST is a name in the server's certificate).
"""

from __future__ import annotations

import os

import pandas as pd
import psycopg
import sqlalchemy


def dwh_settings() -> dict[str, str]:
    settings = {
        "host": os.environ["DWH_HOST"],
        "port": os.environ.get("DWH_PORT", "5432"),
        "dbname": os.environ.get("DWH_DB", "dwh"),
        "user": os.environ.get("DWH_USER", "dwh"),
        "password": os.environ["DWH_PASSWORD"],
        "sslmode": os.environ.get("DWH_SSLMODE", "verify-full"),
    }
    if "DWH_SSLROOTCERT" in os.environ:
        settings["sslrootcert"] = os.environ["DWH_SSLROOTCERT"]
    return settings


def rows_with_psycopg(query: str) -> list[tuple]:
    """Plain rows: psycopg 3."""
    with psycopg.connect(**dwh_settings()) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def dwh_engine() -> sqlalchemy.Engine:
    """An SQLAlchemy engine on the psycopg 3 driver, for pandas and for your own ORM code."""
    s = dwh_settings()
    url = sqlalchemy.URL.create(
        "postgresql+psycopg",
        username=s["user"],
        password=s["password"],
        host=s["host"],
        port=int(s["port"]),
        database=s["dbname"],
        query={key: s[key] for key in ("sslmode", "sslrootcert") if key in s},
    )
    return sqlalchemy.create_engine(url)


def frame_with_pandas(query: str) -> pd.DataFrame:
    """A DataFrame: pandas reads through the SQLAlchemy engine."""
    with dwh_engine().connect() as conn:
        return pd.read_sql(sqlalchemy.text(query), conn)


if __name__ == "__main__":
    print(frame_with_pandas("SELECT run_id, dataset, accuracy, f1_macro, trained_at FROM ml.model_runs"))
