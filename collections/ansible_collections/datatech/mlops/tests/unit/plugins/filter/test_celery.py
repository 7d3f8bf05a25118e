"""The CeleryExecutor's decisions: refusals before any change, airflow.cfg settings, the worker's command line,
Redis's directives."""

from __future__ import annotations

import configparser

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.datatech.mlops.plugins.filter import airflow, celery

WORKERS = {"wrk01": "10.0.0.20", "wrk02": "10.0.0.21"}
DB = {
    "user": "airflow",
    "password": "p/w+1",
    "host": "10.0.0.10",
    "port": 5432,
    "name": "airflow",
    "sslmode": "verify-full",
    "sslrootcert": "/etc/airflow/postgresql-ca.crt",
}
CELERY = {
    "broker_host": "10.0.0.11",
    "broker_port": 6379,
    "broker_password": "Secret9",
    "broker_ca_file": "/etc/airflow/redis-ca.crt",
    "queue": "default",
    "concurrency": 4,
    "log_server_port": 8793,
    "result_db": DB,
    "api_url": "https://10.0.0.11:443/",
    "api_ca_file": "/etc/airflow/api-ca.crt",
}


def test_local_executor_needs_nothing_and_celery_a_worker_on_the_private_network() -> None:
    assert celery.problems("LocalExecutor", {}, "") == []
    assert celery.problems("CeleryExecutor", WORKERS, "10.0.0.0/24") == []
    assert celery.problems("KubernetesExecutor", WORKERS, "10.0.0.0/24") == [
        "airflow_executor 'KubernetesExecutor' is not one of LocalExecutor, CeleryExecutor"
    ]
    assert "at least one worker host" in celery.problems("CeleryExecutor", {}, "10.0.0.0/24")[0]
    assert celery.problems("CeleryExecutor", {**WORKERS, "wrk03": "192.168.1.5"}, "10.0.0.0/24") == [
        "worker wrk03 (192.168.1.5) is outside the private network 10.0.0.0/24: the broker is reached there only"
    ]
    assert "not set" in celery.problems("CeleryExecutor", WORKERS, "")[0]
    assert "CIDR" in celery.problems("CeleryExecutor", WORKERS, "10.0.0/33")[0]
    assert "no valid private address" in celery.problems("CeleryExecutor", {"w": "x"}, "10.0.0.0/24")[0]
    assert "LocalExecutor" in celery.problems("LocalExecutor", {}, "", worker_here=True)[0]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"broker_host": "0.0.0.0"}, "airflow_celery_broker_host '0.0.0.0'"),
        ({"broker_host": "192.168.1.5"}, "airflow_celery_broker_host '192.168.1.5'"),
        ({"broker_host": "air01"}, "airflow_celery_broker_host 'air01'"),
        ({"broker_password": "has space"}, "airflow_celery_broker_password may hold only"),
        ({"broker_password": 'q"zz#'}, "airflow_celery_broker_password may hold only"),
        ({"queues": []}, "airflow_celery_queues must be a non-empty list"),
        ({"queues": ["a,b"]}, "airflow_celery_queues must be a non-empty list"),
        ({"queues": "default"}, "airflow_celery_queues must be a non-empty list"),
        ({"autoscale": "2,8"}, "airflow_celery_autoscale must be MAX,MIN"),
        ({"autoscale": "8"}, "airflow_celery_autoscale must be MAX,MIN"),
    ],
)
def test_a_broker_off_the_network_an_unquotable_password_and_bad_queues_are_refused(kwargs, named) -> None:
    found = celery.problems("CeleryExecutor", WORKERS, "10.0.0.0/24", **kwargs)
    assert len(found) == 1 and found[0].startswith(named), found
    assert "has space" not in found[0] and 'q"zz' not in found[0]  # the password itself is never shown


def test_the_platforms_broker_settings_pass() -> None:
    assert not celery.problems(
        "CeleryExecutor", WORKERS, "10.0.0.0/24", False, "10.0.0.11", "Abc123XYZ", ["default", "gpu"], "8,2"
    )


def test_local_executor_adds_no_settings() -> None:
    assert celery.settings("LocalExecutor", False, {}) == {}


def test_the_scheduler_host_and_a_worker_share_broker_and_backend_and_the_worker_reaches_the_api() -> None:
    server = celery.settings("CeleryExecutor", False, CELERY)
    worker = celery.settings("CeleryExecutor", True, CELERY)
    assert server["celery"] == worker["celery"]
    assert server["celery"]["broker_url"] == "rediss://:Secret9@10.0.0.11:6379/0"
    assert server["celery"]["result_backend"] == (
        "db+postgresql://airflow:p%2Fw%2B1@10.0.0.10:5432/airflow?sslmode=verify-full"
        "&sslrootcert=/etc/airflow/postgresql-ca.crt"
    )
    assert server["celery"]["ssl_active"] == "True" and server["celery"]["ssl_cacert"].endswith("redis-ca.crt")
    assert "core" not in server
    assert worker["core"] == {"execution_api_server_url": "https://10.0.0.11:443/execution/"}
    assert worker["api"] == {"ssl_ca_file": "/etc/airflow/api-ca.crt"}
    assert worker["logging"] == {"worker_log_server_port": "8793"}
    with pytest.raises(AnsibleFilterError, match="broker_host is missing"):
        celery.settings("CeleryExecutor", False, {k: v for k, v in CELERY.items() if k != "broker_host"})


def test_the_broker_password_is_read_back_from_airflow_cfg() -> None:
    url = celery.settings("CeleryExecutor", True, {**CELERY, "broker_password": "a%b/c"})["celery"]["broker_url"]
    text = f"[celery]\nbroker_url = {url.replace('%', '%%')}\n"
    configparser.ConfigParser().read_string(text)  # as Airflow reads it, with interpolation
    assert airflow.airflow_secrets(text)["airflow_redis_password"] == "a%b/c"
    assert "airflow_redis_password" not in airflow.airflow_secrets("[core]\nexecutor = LocalExecutor\n")


def test_the_worker_command_line_takes_queues_and_concurrency_or_autoscale() -> None:
    assert celery.worker_args(["default", "gpu"], 4) == "--queues default,gpu --concurrency 4"
    assert celery.worker_args(["default"], 4, "8,2") == "--queues default --autoscale 8,2"
    for queues in ([], ["a b"], ["a,b"]):
        with pytest.raises(AnsibleFilterError, match="plain names"):
            celery.worker_args(queues, 4)
    with pytest.raises(AnsibleFilterError, match="MAX,MIN"):
        celery.worker_args(["default"], 4, "2,8")


def test_redis_listens_with_tls_on_the_private_address_only_and_wants_a_password() -> None:
    conf = celery.redis_settings("10.0.0.11", 6379, "pw", {"cert": "c", "key": "k", "ca": "a"}, 992)
    assert conf["bind"] == "10.0.0.11" and conf["port"] == "0" and conf["tls-port"] == "6379"
    assert conf["requirepass"] == "pw" and conf["maxclients"] == "992"
    assert conf["rename-command"] == 'CONFIG ""'  # nobody reconfigures the server through the broker port
    with pytest.raises(AnsibleFilterError, match="not an IP address"):
        celery.redis_settings("0.0.0.0; rm", 6379, "pw", {"cert": "c", "key": "k", "ca": "a"}, 10)
