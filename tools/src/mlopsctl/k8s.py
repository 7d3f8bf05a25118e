"""Airflow in Selectel Managed Kubernetes (terraform/selectel-k8s): the cluster's Terraform stages, its kubeconfig,
the Secrets the chart reads, and DAG delivery through the Git ref the GitDagBundle tracks.

Plain functions: the CLI (`mlopsctl infra --cloud selectel-k8s`, `mlopsctl k8s secrets`, `mlopsctl dags deploy
--target k8s`) and the pipeline call them; every external call (terraform, kubectl, git, Airflow's REST API) is a
command list or an injectable opener (mlopsctl.airflow_api), so the tests check them without a cluster."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlopsctl import progress
from mlopsctl.airflow_api import AirflowApi, wait_for_dags
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.infra import terraform_init
from mlopsctl.secret_table import fernet_key

K8S_CLOUD = "selectel-k8s"
NAMESPACE = "airflow"
BUNDLE_NAME = "mlops"
DEFAULT_GIT_REF = "airflow/production"
# Chart release "airflow": its Deployment and container names follow from it.
DAG_PROCESSOR = ("deployment/airflow-dag-processor", "dag-processor")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Where k8s/airflow/values.yaml mounts Secret airflow-platform-ca in every Airflow container.
PLATFORM_CA_FILE = "/opt/airflow/platform-ca/ca.crt"
KUBECONFIG_NAME = "kubeconfig"

# Terraform configures the helm/kubernetes providers from the cluster, and the Gateway manifests need the CRDs of
# Envoy Gateway's chart: a first install applies in stages. "all" is the plain, untargeted apply.
STAGES: dict[str, tuple[str, ...]] = {
    "cluster": (
        "module.platform",
        "openstack_networking_secgroup_rule_v2.postgresql_from_k8s_nodes",
        "selectel_mks_nodegroup_v1.cpu",
        "selectel_mks_nodegroup_v1.gpu",
    ),
    "gateway": ("helm_release.envoy_gateway",),
    "all": (),
}


def cluster_commands(binary: str, workdir: Path, action: str, stage: str = "all") -> list[list[str]]:
    """Terraform calls of one action on the cluster root; apply plans to a file and applies exactly that plan."""
    if stage not in STAGES:
        raise ConfigError(f"unknown stage {stage!r}; choose {', '.join(STAGES)}")
    base = [binary, f"-chdir={workdir}"]
    init = terraform_init(binary, workdir)
    targets = [f"-target={t}" for t in STAGES[stage]]
    plan = [*base, "plan", "-input=false", *targets, "-out=tfplan"]
    if action == "plan":
        return [init, plan]
    if action == "apply":
        return [init, plan, [*base, "apply", "-input=false", "tfplan"]]
    if action == "destroy":
        return [init, [*base, "destroy", "-input=false"]]
    raise ConfigError(f"unknown action {action!r}; choose plan, apply or destroy")


def write_kubeconfig(outputs: dict[str, Any], secrets_dir: Path) -> Path:
    """The kubeconfig output (sensitive) into the inventory's secrets dir, readable by the owner only."""
    entry = outputs.get("kubeconfig")
    if not isinstance(entry, dict) or not isinstance(entry.get("value"), str) or not entry["value"].strip():
        raise ConfigError("terraform outputs have no kubeconfig; was this made by terraform/selectel-k8s?")
    config = yaml.safe_load(entry["value"])
    if not isinstance(config, dict) or config.get("kind") != "Config" or not config.get("clusters"):
        raise ConfigError("the kubeconfig output is not a kubeconfig (kind: Config with clusters)")
    secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = secrets_dir / KUBECONFIG_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(entry["value"])
    path.chmod(0o600)
    return path


def read_ca(secrets_dir: Path) -> str:
    """The platform CA's certificate (public) that db01's server certificate is signed by."""
    path = secrets_dir / "ca" / "ca.crt"
    if not path.is_file() or "BEGIN CERTIFICATE" not in path.read_text():
        raise ConfigError(
            f"{path} is missing or no certificate: converge db01 with this inventory first (it makes the CA)"
        )
    return path.read_text()


def read_secret(secrets_dir: Path, name: str) -> str:
    """A value Ansible's password lookup wrote on converge (the same file the VMs use)."""
    path = secrets_dir / name
    if not path.is_file():
        raise ConfigError(f"{path} is missing: converge db01 with this inventory first (it generates the passwords)")
    value = path.read_text().strip().split(" salt=", 1)[0]
    if not value:
        raise ConfigError(f"{path} is empty")
    return value


@dataclass(frozen=True)
class Registry:
    """Pull credentials for the pipeline's Airflow image (a GitLab deploy token, for instance)."""

    server: str
    username: str
    password: str


def _secret(name: str, data: dict[str, str], secret_type: str = "Opaque") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "mlopsctl"}},
        "type": secret_type,
        "stringData": data,
    }


def namespace_manifest(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "k8s/namespace.yaml").read_text())


def platform_manifests(
    root: Path,
    secrets_dir: Path,
    db_host: str,
    sslmode: str,
    git_url: str,
    git_token: str,
    registry: Registry | None = None,
    admin_user: str = "admin",
    databases: tuple[str, str] = ("airflow_k8s", "dwh"),
    users: tuple[str, str] = ("airflow_k8s", "dwh"),
) -> list[dict[str, Any]]:
    """Namespace and the Secrets k8s/airflow/values.yaml names, from the inventory's generated passwords. The metadata
    database is the cluster's own on db01 (group_vars/db.yml's airflow_k8s), never the VMs' airflow database."""
    if sslmode not in SSLMODES:
        raise ConfigError(f"sslmode {sslmode!r} is not one of {', '.join(SSLMODES)}")
    if not git_url.startswith("https://"):
        raise ConfigError(f"git URL {git_url!r} must be https:// (the GitDagBundle authenticates with a token)")
    airflow_pw = read_secret(secrets_dir, "postgresql_airflow_k8s_password")
    dwh_pw = read_secret(secrets_dir, "postgresql_dwh_password")
    quoted = urllib.parse.quote(airflow_pw, safe="")
    # The pods check db01's certificate against the platform CA, mounted from Secret airflow-platform-ca.
    tls = {"sslmode": sslmode, **({"sslrootcert": PLATFORM_CA_FILE} if sslmode.startswith("verify") else {})}
    metadata = f"postgresql://{users[0]}:{quoted}@{db_host}:5432/{databases[0]}?{urllib.parse.urlencode(tls)}"
    dwh = {
        "conn_type": "postgres",
        "host": db_host,
        "port": 5432,
        "schema": databases[1],
        "login": users[1],
        "password": dwh_pw,
        "extra": tls,
    }
    git = {"conn_type": "git", "host": git_url, "login": "oauth2", "password": git_token}
    manifests = [
        namespace_manifest(root),
        _secret("airflow-metadata", {"connection": metadata}),
        _secret("airflow-connections", {"postgres_dwh": json.dumps(dwh), "mlops_git": json.dumps(git)}),
        _secret(
            "airflow-admin", {"username": admin_user, "password": read_secret(secrets_dir, "airflow_admin_password")}
        ),
        _secret("airflow-fernet-key", {"fernet-key": fernet_key(read_secret(secrets_dir, "airflow_fernet_seed"))}),
        _secret("airflow-jwt-secret", {"jwt-secret": read_secret(secrets_dir, "airflow_jwt_secret")}),
        _secret("airflow-api-secret-key", {"api-secret-key": read_secret(secrets_dir, "airflow_api_secret_key")}),
        _secret("airflow-platform-ca", {"ca.crt": read_ca(secrets_dir)}),
    ]
    if registry is not None:
        auth = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
        config = {
            "auths": {registry.server: {"username": registry.username, "password": registry.password, "auth": auth}}
        }
        manifests.append(
            _secret("airflow-registry", {".dockerconfigjson": json.dumps(config)}, "kubernetes.io/dockerconfigjson")
        )
    return manifests


def kubectl(kubeconfig: Path, *args: str) -> list[str]:
    return ["kubectl", f"--kubeconfig={kubeconfig}", *args]


def apply_manifests(kubeconfig: Path, manifests: Sequence[dict[str, Any]]) -> None:
    """kubectl apply through stdin: the Secrets never touch the disk."""
    document = yaml.safe_dump_all(manifests, sort_keys=False)
    done = subprocess.run(kubectl(kubeconfig, "apply", "-f", "-"), input=document, text=True, capture_output=True)
    if done.returncode != 0:
        raise CommandError(f"kubectl apply failed: {done.stderr.strip()}")


# --- DAG delivery ---


def ref_commit(remote: str, ref: str) -> str | None:
    """Commit the tracked branch points at on the remote, or None when it does not exist yet."""
    done = subprocess.run(["git", "ls-remote", remote, f"refs/heads/{ref}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandError(f"git ls-remote {remote} failed: {done.stderr.strip()}")
    line = done.stdout.strip()
    return line.split()[0] if line else None


def move_ref_command(remote: str, ref: str, commit: str, expected: str | None) -> list[str]:
    """Push commit to the tracked branch; the lease refuses the push if someone moved the branch meanwhile."""
    lease = f"--force-with-lease=refs/heads/{ref}:{expected or ''}"
    return ["git", "push", "--no-verify", lease, remote, f"{commit}:refs/heads/{ref}"]


def reserialize_command(kubeconfig: Path, bundle: str = BUNDLE_NAME, namespace: str = NAMESPACE) -> list[str]:
    """Parse the bundle's new version now, in the DAG processor pod, instead of waiting for its refresh interval."""
    target, container = DAG_PROCESSOR
    return kubectl(
        kubeconfig, "-n", namespace, "exec", target, "-c", container, "--",
        "airflow", "dags", "reserialize", "--bundle-name", bundle,
    )  # fmt: skip


# Loaded by the DAG test environment's Python (.venv-dags): the DAG ids of a checkout, or its import errors.
_DAG_IDS_SCRIPT = """
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
print(json.dumps({"dag_ids": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()}}))
"""


def commit_dag_ids(python: str, dags_dir: Path) -> set[str]:
    """Every DAG id of the commit being deployed; a commit whose DAGs do not import is refused before the push."""
    done = subprocess.run([python, "-c", _DAG_IDS_SCRIPT, str(dags_dir)], capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandError(f"loading {dags_dir} failed: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise CommandError(f"DAGs of this commit do not import: {result['errors']}")
    if not result["dag_ids"]:
        raise CommandError(f"no DAG found in {dags_dir}")
    return set(result["dag_ids"])


def write_dotenv(path: Path, values: dict[str, str]) -> None:
    """A GitLab dotenv report: the rollback job reads the commit the ref pointed at before the deploy."""
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


@dataclass(frozen=True)
class Delivery:
    """Where DAGs go: the repository remote and ref the bundle tracks, the cluster, and Airflow's API."""

    remote: str
    ref: str
    kubeconfig: Path
    api_url: str
    api_user: str
    api_password: str
    bundle: str = BUNDLE_NAME

    def api(self) -> AirflowApi:
        """Airflow's API behind the Gateway, verified with the system's CAs."""
        return AirflowApi(self.api_url, self.api_user, self.api_password)


def _run(cmd: list[str]) -> None:
    progress.run(cmd)


def deploy_dags(
    delivery: Delivery, commit: str, expected: set[str], timeout: float = 600.0, run: Callable[[list[str]], None] = _run
) -> str | None:
    """Move the tracked ref to commit, reserialize, wait for the API; on failure the ref goes back. Returns the
    commit the ref pointed at before (None when it is new), for the rollback job."""
    previous = ref_commit(delivery.remote, delivery.ref)
    run(move_ref_command(delivery.remote, delivery.ref, commit, previous))
    try:
        run(reserialize_command(delivery.kubeconfig, delivery.bundle))
        wait_for_dags(delivery.api(), expected, commit, delivery.bundle, timeout)
    except Exception:
        if previous is not None:
            run(move_ref_command(delivery.remote, delivery.ref, previous, commit))
            run(reserialize_command(delivery.kubeconfig, delivery.bundle))
        raise
    return previous


def rollback_dags(delivery: Delivery, to_commit: str, run: Callable[[list[str]], None] = _run) -> None:
    """Move the tracked ref back to a previous commit and have the DAG processor parse it at once."""
    current = ref_commit(delivery.remote, delivery.ref)
    run(move_ref_command(delivery.remote, delivery.ref, to_commit, current))
    run(reserialize_command(delivery.kubeconfig, delivery.bundle))


# --- What the CLI and the pipeline call ---


def inventory_secrets_dir(root: Path) -> Path:
    """The cluster inventory's secrets dir (group_vars' mlops_secrets_dir for inventories/selectel-k8s)."""
    return root / "inventories" / K8S_CLOUD / ".secrets"


def delivery_from_env(root: Path, env: Mapping[str, str]) -> Delivery:
    """The pipeline's settings (CI variables) or, on an admin's machine, the inventory's secrets dir.

    MLOPS_K8S_AIRFLOW_URL: https://<airflow_hostname>; MLOPS_DAGS_GIT_REMOTE: push URL with a token that may move the
    ref (default: origin); MLOPS_DAGS_GIT_REF; KUBECONFIG (a file variable in CI); MLOPS_AIRFLOW_ADMIN_PASSWORD."""
    secrets = inventory_secrets_dir(root)
    url = env.get("MLOPS_K8S_AIRFLOW_URL", "")
    if not url.startswith("https://"):
        raise ConfigError(
            "MLOPS_K8S_AIRFLOW_URL must be Airflow's https:// URL on the Gateway (output k8s_airflow.url)"
        )
    kubeconfig = Path(env.get("KUBECONFIG") or secrets / KUBECONFIG_NAME)
    if not kubeconfig.is_file():
        raise ConfigError(
            f"no kubeconfig at {kubeconfig}: run `mlopsctl infra apply --cloud {K8S_CLOUD}` or set KUBECONFIG"
        )
    password = env.get("MLOPS_AIRFLOW_ADMIN_PASSWORD") or read_secret(secrets, "airflow_admin_password")
    return Delivery(
        remote=env.get("MLOPS_DAGS_GIT_REMOTE", "origin"),
        ref=env.get("MLOPS_DAGS_GIT_REF", DEFAULT_GIT_REF),
        kubeconfig=kubeconfig,
        api_url=url,
        api_user=env.get("MLOPS_AIRFLOW_ADMIN_USER", "admin"),
        api_password=password,
    )


def head_commit(root: Path) -> str:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandError(f"git rev-parse HEAD failed: {done.stderr.strip()}")
    return done.stdout.strip()


def deploy_from_env(root: Path, env: Mapping[str, str], dags_python: str, report: Path | None = None) -> str:
    """`mlopsctl dags deploy --target k8s`: the checked-out commit's DAGs, onto the tracked ref; returns the commit."""
    delivery = delivery_from_env(root, env)
    commit = env.get("CI_COMMIT_SHA") or head_commit(root)
    expected = commit_dag_ids(dags_python, root / "dags")
    previous = deploy_dags(delivery, commit, expected, timeout=float(env.get("MLOPS_DAGS_WAIT_SECONDS", "600")))
    if report is not None:
        write_dotenv(report, {"DAGS_PREVIOUS_COMMIT": previous or "", "DAGS_DEPLOYED_COMMIT": commit})
    return commit


def rollback_from_env(root: Path, env: Mapping[str, str], run: Callable[[list[str]], None] = _run) -> str:
    """`mlopsctl dags rollback --target k8s`: the ref back to DAGS_PREVIOUS_COMMIT (the deploy job's dotenv report)."""
    to_commit = env.get("DAGS_PREVIOUS_COMMIT", "")
    if len(to_commit) < 7:
        raise ConfigError(
            "DAGS_PREVIOUS_COMMIT is not set: there is no previous deploy of the tracked ref to go back to"
        )
    rollback_dags(delivery_from_env(root, env), to_commit, run)
    return to_commit


def _k8s_output(outputs: Mapping[str, Any]) -> dict[str, Any]:
    entry = outputs.get("k8s_airflow")
    if not isinstance(entry, dict) or not isinstance(entry.get("value"), dict):
        raise ConfigError(f"terraform outputs have no k8s_airflow; were they made by terraform/{K8S_CLOUD}?")
    missing = [key for key in ("git_url", "image") if not isinstance(entry["value"].get(key), str)]
    if missing:
        raise ConfigError(f"terraform output k8s_airflow lacks {', '.join(missing)}; apply terraform/{K8S_CLOUD} again")
    return entry["value"]


def db_host_from_outputs(outputs: Mapping[str, Any]) -> str:
    """Private address of the db host (the one in group db), as the pods reach it."""
    hosts = outputs.get("hosts", {}).get("value") or {}
    for host in hosts.values():
        if "db" in host.get("groups", []):
            return str(host["private_ip"])
    raise ConfigError("terraform outputs have no host in group db")


def secrets_from_outputs(
    root: Path, outputs: Mapping[str, Any], env: Mapping[str, str], sslmode: str = "verify-full"
) -> list[dict[str, Any]]:
    """`mlopsctl k8s secrets`: the manifests for this cluster. MLOPS_DAGS_GIT_TOKEN (read access to the repository)
    and, for a private registry, MLOPS_REGISTRY_USER / MLOPS_REGISTRY_PASSWORD come from the environment."""
    airflow = _k8s_output(outputs)
    token = env.get("MLOPS_DAGS_GIT_TOKEN", "")
    if not token:
        raise ConfigError(
            "MLOPS_DAGS_GIT_TOKEN is not set: the DAG processor needs a token that can read the repository"
        )
    registry = None
    if env.get("MLOPS_REGISTRY_USER") and env.get("MLOPS_REGISTRY_PASSWORD"):
        server = str(airflow["image"]).split("/", 1)[0]
        registry = Registry(server, env["MLOPS_REGISTRY_USER"], env["MLOPS_REGISTRY_PASSWORD"])
    return platform_manifests(
        root,
        inventory_secrets_dir(root),
        db_host=db_host_from_outputs(outputs),
        sslmode=sslmode,
        git_url=str(airflow["git_url"]),
        git_token=token,
        registry=registry,
    )
