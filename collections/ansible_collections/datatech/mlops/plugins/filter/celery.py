"""Filters of the airflow role's CeleryExecutor: what a run with it is refused for, the airflow.cfg settings of a
scheduler host and of a worker, the worker's command line and Redis's settings. Jinja only fills them in."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

EXECUTORS = ("LocalExecutor", "CeleryExecutor")


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


def problems(
    executor: str,
    workers: dict[str, str],
    network: str,
    worker_here: bool = False,
    broker_host: str = "",
    broker_password: str = "",
    queues: list[str] | None = None,
    autoscale: str = "",
) -> list[str]:
    """What makes the executor settings unusable, one sentence each (empty: usable).

    `workers` maps each worker host to its private address; `network` is the private network (CIDR) they and the
    broker must be on; `worker_here` says the host being checked is a worker. The broker, its password, the queues and
    autoscale are checked only when given (the preflight's next check wants the broker's address and password)."""
    if executor not in EXECUTORS:
        return [f"airflow_executor {executor!r} is not one of {', '.join(EXECUTORS)}"]
    if executor == "LocalExecutor":
        return (
            ["this host is a Celery worker (airflow_worker) but airflow_executor is LocalExecutor: set CeleryExecutor"]
            if worker_here
            else []
        )
    if not workers:
        return [
            "airflow_executor CeleryExecutor needs at least one worker host: add hosts to the airflow_workers group,"
            " or use LocalExecutor"
        ]
    try:
        net = ipaddress.ip_network(str(network), strict=False) if network else None
    except ValueError:
        return [f"the private network {network!r} is not a network in CIDR form (e.g. 10.0.0.0/24)"]
    if net is None:
        return ["airflow_celery_network (the private network the workers are on, in CIDR form) is not set"]
    out = []
    for host, address in sorted(workers.items()):
        ip = _address(address)
        if ip is None:
            out.append(f"worker {host} has no valid private address ({address!r})")
        elif ip not in net:
            out.append(
                f"worker {host} ({address}) is outside the private network {net}: the broker is reached there only"
            )
    return out + _broker_problems(net, broker_host, broker_password) + _worker_problems(queues, autoscale)


# Characters a password keeps unquoted in redis.conf and in the broker URL's user part.
_PASSWORD = re.compile(r"[A-Za-z0-9._~+=-]+")
_QUEUE = re.compile(r"[A-Za-z0-9_.-]+")


def _broker_problems(net: ipaddress.IPv4Network | ipaddress.IPv6Network, host: str, password: str) -> list[str]:
    out = []
    if host:
        ip = _address(host)
        if ip is None or ip.is_unspecified or ip not in net:
            out.append(
                f"airflow_celery_broker_host {host!r} must be one address of the private network {net} (Redis listens"
                " there only; never 0.0.0.0 or ::)"
            )
    if password and not _PASSWORD.fullmatch(str(password)):
        out.append(
            "airflow_celery_broker_password may hold only letters, digits and . _ ~ + = - (Redis's configuration and"
            " the broker URL carry it unquoted)"
        )
    return out


def _worker_problems(queues: list[str] | None, autoscale: str) -> list[str]:
    out = []
    if queues is not None and (
        not isinstance(queues, list) or not queues or not all(_QUEUE.fullmatch(str(q)) for q in queues)
    ):
        out.append(
            f"airflow_celery_queues must be a non-empty list of plain names (letters, digits, _ . -), got {queues!r}"
        )
    high, _sep, low = str(autoscale or "").partition(",")
    if autoscale and not (high.isdigit() and low.isdigit() and int(high) >= int(low) > 0):
        out.append(f"airflow_celery_autoscale must be MAX,MIN with MAX >= MIN > 0 (e.g. 8,2), got {autoscale!r}")
    return out


def settings(executor: str, worker: bool, celery: dict[str, Any]) -> dict[str, dict[str, str]]:
    """airflow.cfg sections the executor adds (empty for LocalExecutor).

    `celery` holds broker_host, broker_port, broker_password, broker_ca_file, queue (the default queue),
    concurrency, result_db (user, password, host, port, name, sslmode, sslrootcert), and on a worker api_url (the
    scheduler host's HTTPS address) and api_ca_file (the CA its certificate is verified with), log_server_port."""
    if executor != "CeleryExecutor":
        return {}
    try:
        db = celery["result_db"]
        password = quote(str(celery["broker_password"]), safe="")
        out: dict[str, dict[str, str]] = {
            "celery": {
                "broker_url": f"rediss://:{password}@{celery['broker_host']}:{int(celery['broker_port'])}/0",
                "result_backend": (
                    f"db+postgresql://{quote(str(db['user']), safe='')}:{quote(str(db['password']), safe='')}"
                    f"@{db['host']}:{int(db['port'])}/{db['name']}?sslmode={db['sslmode']}"
                    f"&sslrootcert={db['sslrootcert']}"
                ),
                "ssl_active": "True",
                # The broker verifies no client certificate: the password admits, TLS protects it on the wire.
                "ssl_mutual_tls": "False",
                "ssl_cacert": str(celery["broker_ca_file"]),
                "worker_concurrency": str(int(celery["concurrency"])),
            },
            "operators": {"default_queue": str(celery["queue"])},
            "logging": {"worker_log_server_port": str(int(celery["log_server_port"]))},
        }
        if worker:
            out["core"] = {"execution_api_server_url": f"{str(celery['api_url']).rstrip('/')}/execution/"}
            out["api"] = {"ssl_ca_file": str(celery["api_ca_file"])}
    except KeyError as exc:
        raise AnsibleFilterError(f"airflow_celery_settings: {exc.args[0]} is missing") from exc
    return out


def worker_args(queues: list[str], concurrency: int, autoscale: str = "") -> str:
    """The arguments of `airflow celery worker`: the queues it takes, its concurrency or autoscale (max,min)."""
    if not queues or any(not str(q) or any(c in str(q) for c in " ,'\"") for q in queues):
        raise AnsibleFilterError(f"airflow_celery_worker_args: queues must be plain names, got {queues!r}")
    args = ["--queues", ",".join(str(q) for q in queues)]
    if autoscale:
        high, _sep, low = str(autoscale).partition(",")
        if not (high.isdigit() and low.isdigit() and int(high) >= int(low) > 0):
            raise AnsibleFilterError(f"airflow_celery_worker_args: autoscale must be MAX,MIN, got {autoscale!r}")
        args += ["--autoscale", f"{int(high)},{int(low)}"]
    else:
        args += ["--concurrency", str(int(concurrency))]
    return " ".join(args)


def redis_settings(listen: str, port: int, password: str, tls: dict[str, str], max_clients: int) -> dict[str, str]:
    """redis.conf's directives: TLS only on the private address, a password required, nothing on plain TCP."""
    if _address(listen) is None:
        raise AnsibleFilterError(f"airflow_redis_settings: the broker's address {listen!r} is not an IP address")
    return {
        "bind": str(listen),
        "protected-mode": "yes",
        "port": "0",
        "tls-port": str(int(port)),
        "tls-cert-file": tls["cert"],
        "tls-key-file": tls["key"],
        "tls-ca-cert-file": tls["ca"],
        "tls-auth-clients": "no",
        "requirepass": str(password),
        # A client holding the password still cannot reconfigure the server (dir, dbfilename: files written as redis).
        "rename-command": 'CONFIG ""',
        "maxclients": str(int(max_clients)),
        "supervised": "systemd",
        "daemonize": "no",
        "dir": "/var/lib/redis",
        "pidfile": "/run/redis/redis-server.pid",
        "logfile": '""',
        "appendonly": "no",
        "save": '""',
    }


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "airflow_celery_problems": problems,
            "airflow_celery_settings": settings,
            "airflow_celery_worker_args": worker_args,
            "airflow_redis_settings": redis_settings,
        }
