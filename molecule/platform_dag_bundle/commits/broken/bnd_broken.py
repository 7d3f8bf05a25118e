"""bnd_broken: an airflow dag file of commit broken that cannot be imported (molecule/dag_bundle)."""

raise RuntimeError("commit broken of the DAG bundle scenario fails to import on purpose")
