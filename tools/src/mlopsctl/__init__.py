"""mlopsctl: provisions the ML data platform (local test hosts, site.yml, DAG delivery)."""

__version__ = "0.1.0"
