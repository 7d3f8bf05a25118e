"""Plain functions behind the example ML DAGs: no Airflow imports, so they unit-test without a scheduler."""
