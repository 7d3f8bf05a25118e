"""Airflow in Kubernetes (terraform/selectel-k8s, k8s/, mlopsctl.k8s), checked offline: no cluster, no helm binary
and no provider can be had where this is built. The chart values are validated against the chart's values schema
(MLOPS_AIRFLOW_CHART_SCHEMA), the manifests the project writes with kubernetes-validate, the DAG delivery against
a fake Airflow API."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import jsonschema
import kubernetes_validate
import pytest
import yaml
from conftest import ROOT, unq

from mlopsctl import k8s
from mlopsctl.errors import CommandError, ConfigError

K8S_ROOT = ROOT / "terraform/selectel-k8s"
VALUES = ROOT / "k8s/airflow/values.yaml"
GATEWAY = ROOT / "k8s/gateway"
KUBE_VERSION = "1.33.0"
# Keys the pinned chart (1.22) has and the schema snapshot (chart for Airflow 3.0.5) lacks; values.yaml uses none.
NEWER_CHART_ONLY = (
    ("dagProcessor", "dagBundleConfigList"),
    ("createUserJob", "defaultUser"),
    ("apiServer", "httpRoute"),
)


def tf(name: str) -> dict[str, Any]:
    with (K8S_ROOT / name).open() as handle:
        return hcl2.load(handle)


def tf_resources(rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S_ROOT.glob("*.tf")):
        with path.open() as handle:
            for block in hcl2.load(handle).get("resource", []):
                for kind, named in block.items():
                    if unq(kind) == rtype:
                        found.update({unq(n): body for n, body in named.items()})
    return found


def tf_locals() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(K8S_ROOT.glob("*.tf")):
        with path.open() as handle:
            for block in hcl2.load(handle).get("locals", []):
                merged.update({k: v for k, v in block.items() if not k.startswith("__")})
    return merged


def tf_variables() -> dict[str, dict[str, Any]]:
    return {unq(next(iter(b))): next(iter(b.values())) for b in tf("k8s-variables.tf")["variable"]}


def values() -> dict[str, Any]:
    return yaml.safe_load(VALUES.read_text())


def terraform_overrides() -> dict[str, Any]:
    """airflow.tf's overrides with sample variable values (python-hcl2 keeps them as expressions)."""
    return {
        "images": {"airflow": {"repository": "registry.example.com/ml/airflow", "tag": "3.3.2-0123abcd"}},
        "config": {
            "api": {"base_url": "https://airflow.example.com"},
            "dag_processor": {"dag_bundle_config_list": json.dumps([{"name": "mlops"}])},
        },
    }


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of two values files: maps deep-merged, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def chart_schema() -> dict[str, Any]:
    """The chart's values schema from MLOPS_AIRFLOW_CHART_SCHEMA (relative paths from the checkout's root)."""
    setting = os.environ.get("MLOPS_AIRFLOW_CHART_SCHEMA", "")
    path = (ROOT / setting).resolve() if setting else None
    if path is None or not path.is_file():
        why = (
            f"MLOPS_AIRFLOW_CHART_SCHEMA={setting!r} names no file"
            if setting
            else "MLOPS_AIRFLOW_CHART_SCHEMA is not set (path of the Airflow chart's values.schema.json)"
        )
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{why}: the chart values cannot be validated, and CI must validate them")
        pytest.skip(f"{why}: chart values not validated on this machine")
    return json.loads(path.read_text())


# --- the chart's values ---


def test_values_file_is_valid_for_the_charts_values_schema() -> None:
    validator = jsonschema.Draft7Validator(chart_schema())
    for name, document in (
        ("values.yaml", values()),
        ("values.yaml + airflow.tf", merged(values(), terraform_overrides())),
    ):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, f"{name}: " + "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_refuses_what_the_values_must_not_use() -> None:
    """The check has teeth: keys only the newer chart knows, and wrong types, fail against the snapshot."""
    validator = jsonschema.Draft7Validator(chart_schema())
    for section, key in NEWER_CHART_ONLY:
        document = merged(values(), {section: {key: {}}})
        assert list(validator.iter_errors(document)), f"{section}.{key} was accepted by the schema"
        assert key not in values().get(section, {}), f"values.yaml uses {section}.{key}, unknown to the snapshot"
    assert list(validator.iter_errors(merged(values(), {"postgresql": {"enabled": "no"}})))
    assert list(validator.iter_errors(merged(values(), {"executor": "kubernetes"})))


def test_readme_lists_the_keys_only_the_newer_chart_knows() -> None:
    readme = (ROOT / "terraform/README.md").read_text()
    for section, key in NEWER_CHART_ONLY:
        assert f"{section}.{key}" in readme


def test_airflow_uses_db01_kubernetes_executor_and_fab() -> None:
    v = values()
    assert v["postgresql"]["enabled"] is False and v["pgbouncer"]["enabled"] is False
    assert v["data"]["metadataSecretName"] and "metadataConnection" not in v["data"]
    assert v["executor"] == "KubernetesExecutor" and v["redis"]["enabled"] is False
    assert v["config"]["core"]["auth_manager"].endswith("fab_auth_manager.FabAuthManager")
    assert v["dagProcessor"]["enabled"] is True


def test_one_airflow_version_for_the_vms_the_chart_and_the_image() -> None:
    """group_vars/airflow.yml owns it: the chart values, the image and its tag read it; nobody else pins one."""
    vms = yaml.safe_load((ROOT / "group_vars/airflow.yml").read_text())["airflow_version"]
    v = values()
    assert "airflowVersion" not in v and "defaultAirflowTag" not in v
    airflow_tf = (ROOT / "terraform/selectel-k8s/airflow.tf").read_text()
    assert 'yamldecode(file("${path.module}/../../group_vars/airflow.yml")).airflow_version' in airflow_tf
    assert "airflowVersion    = local.airflow_version" in airflow_tf
    assert 'startswith(var.airflow_image_tag, "${local.airflow_version}-")' in airflow_tf
    dockerfile = (ROOT / "k8s/airflow/Dockerfile").read_text()
    assert re.search(r"^ARG AIRFLOW_VERSION$", dockerfile, re.MULTILINE), "the image takes the version as a build arg"
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in dockerfile
    assert "--constraint /opt/mlops/constraints.txt" in dockerfile and "dags/requirements.txt" in dockerfile
    pipeline = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    (job,) = [job for job in pipeline.values() if isinstance(job, dict) and "k8s/airflow/Dockerfile" in str(job)]
    script = " ".join(job["script"])
    assert "group_vars/airflow.yml" in script and '--build-arg "AIRFLOW_VERSION=$version"' in script
    # The pipeline's sed reads the version as written there.
    read = re.search(r"sed -n '([^']+)' group_vars/airflow.yml", script).group(1)
    out = subprocess.run(["sed", "-n", read, str(ROOT / "group_vars/airflow.yml")], capture_output=True, text=True)
    assert out.stdout.strip() == vms
    python = re.search(r"^ARG PYTHON_VERSION=(\S+)$", dockerfile, re.MULTILINE).group(1)
    constraints = (
        ROOT / f"collections/ansible_collections/datatech/mlops/roles/airflow/files/constraints-{vms}-py{python}.txt"
    )
    assert constraints.is_file(), f"the image would use constraints the VMs do not have: {constraints}"
    # No other pin of a version of the form the image tag has.
    for path in ("k8s/airflow/values.yaml", "k8s/airflow/Dockerfile", "terraform/selectel-k8s/k8s-variables.tf"):
        text = (ROOT / path).read_text()
        assert f"{vms}-" not in text.replace("3.3.2-0123abcd", "") and f'"{vms}"' not in text, path


def test_every_secret_the_values_name_is_written_by_mlopsctl(tmp_path: Path) -> None:
    v = values()
    named = {
        v["data"]["metadataSecretName"],
        v["fernetKeySecretName"],
        v["jwtSecretName"],
        v["apiSecretKeySecretName"],
        v["registry"]["secretName"],
        *(s["secretName"] for s in v["secret"]),
        *(e["valueFrom"]["secretKeyRef"]["name"] for e in v["createUserJob"]["env"]),
    }
    written = {m["metadata"]["name"]: m for m in sample_manifests(tmp_path) if m["kind"] == "Secret"}
    assert named <= set(written), named - set(written)
    for entry in v["secret"]:
        assert entry["secretKey"] in written[entry["secretName"]]["stringData"]
    # The chart reads fixed keys from the Secrets it is pointed at.
    assert "connection" in written[v["data"]["metadataSecretName"]]["stringData"]
    assert "fernet-key" in written[v["fernetKeySecretName"]]["stringData"]
    assert "jwt-secret" in written[v["jwtSecretName"]]["stringData"]
    assert "api-secret-key" in written[v["apiSecretKeySecretName"]]["stringData"]


def test_admin_comes_from_a_secret_not_from_the_values() -> None:
    job = values()["createUserJob"]
    assert "defaultUser" not in values()["apiServer"], "apiServer.defaultUser would put the password in the values"
    command = " ".join(job["args"])
    # Read from the environment by Python: the password is never on a command line, where ps would show it.
    assert job["args"][:2] == ["python", "-c"] and 'os.environ["MLOPS_ADMIN_PASSWORD"]' in command
    assert "$MLOPS_ADMIN_PASSWORD" not in command and 'sm.find_role("Admin")' in command
    compile(job["args"][2], "createUserJob", "exec")
    assert {e["name"] for e in job["env"]} == {"MLOPS_ADMIN_USER", "MLOPS_ADMIN_PASSWORD"}
    assert not re.search(r"password:\s*\S", VALUES.read_text(), re.IGNORECASE)


# --- the Terraform root ---


def test_charts_are_pinned_to_exact_versions() -> None:
    pins = tf_locals()
    assert re.fullmatch(r"\d+\.\d+\.\d+", unq(pins["airflow_chart_version"]))
    assert tuple(int(x) for x in unq(pins["airflow_chart_version"]).split(".")) >= (1, 22, 0)
    assert re.fullmatch(r"v?\d+\.\d+\.\d+", unq(pins["gateway_chart_version"]))
    releases = tf_resources("helm_release")
    assert set(releases) == {"airflow", "envoy_gateway"}
    assert unq(releases["airflow"]["version"]) == "local.airflow_chart_version"
    assert unq(releases["airflow"]["repository"]) == "https://airflow.apache.org"
    assert unq(releases["envoy_gateway"]["version"]) == "local.gateway_chart_version"
    readme = (ROOT / "terraform/README.md").read_text()
    assert unq(pins["airflow_chart_version"]) in readme and unq(pins["gateway_chart_version"]) in readme


def test_helm_values_come_from_the_repository_file() -> None:
    release = tf_resources("helm_release")["airflow"]
    text = json.dumps(release["values"])
    assert "k8s/airflow/values.yaml" in text and "local.airflow_values" in text
    airflow_tf = (K8S_ROOT / "airflow.tf").read_text()
    assert '"airflow.providers.git.bundles.git.GitDagBundle"' in airflow_tf
    assert "tracking_ref = var.dags_git_ref" in airflow_tf and "name      = local.dags_bundle_name" in airflow_tf
    assert unq(tf_locals()["dags_bundle_name"]) == k8s.BUNDLE_NAME
    assert unq(tf_locals()["airflow_namespace"]) == k8s.NAMESPACE


def test_cluster_type_kube_version_and_network() -> None:
    (cluster,) = tf_resources("selectel_mks_cluster_v1").values()
    assert unq(cluster["cluster_type"]) == "var.cluster_type"
    assert "data.selectel_mks_kube_versions_v1" in unq(tf_locals()["kube_version"])
    assert unq(cluster["network_id"]) == "module.platform.network_id"
    assert unq(cluster["subnet_id"]) == "openstack_networking_subnet_v2.k8s_nodes.id"
    variables = tf_variables()
    (validation,) = variables["cluster_type"]["validation"]
    for kind in ("BASIC", "HIGH_AVAILABILITY"):
        assert f'"{kind}"' in unq(validation["condition"])


def test_gpu_node_group_is_optional_and_gets_the_device_plugin() -> None:
    groups = tf_resources("selectel_mks_nodegroup_v1")
    assert unq(groups["gpu"]["count"]) == "var.gpu_nodes_count > 0 ? 1 : 0"
    assert (
        groups["gpu"]["install_nvidia_device_plugin"] is True and unq(groups["gpu"]["flavor_id"]) == "var.gpu_flavor_id"
    )
    assert groups["cpu"]["install_nvidia_device_plugin"] is False and "count" not in groups["cpu"]
    (taint,) = groups["gpu"]["taints"]
    assert unq(taint["effect"]) == "NoSchedule" and unq(taint["key"]) == "local.gpu_taint_key"
    variables = tf_variables()
    assert variables["gpu_nodes_count"]["default"] == 0


def test_postgresql_is_open_to_the_node_subnet_only() -> None:
    rules = tf_resources("openstack_networking_secgroup_rule_v2")
    assert set(rules) == {"postgresql_from_k8s_nodes"}
    rule = rules["postgresql_from_k8s_nodes"]
    assert rule["port_range_min"] == rule["port_range_max"] == 5432
    assert unq(rule["remote_ip_prefix"]) == "var.k8s_nodes_cidr"
    assert unq(rule["security_group_id"]) == "module.platform.db_security_group_id"
    variables = tf_variables()
    (validation,) = variables["k8s_nodes_cidr"]["validation"]
    assert ">= 16" in unq(validation["condition"]), "a /0 (or any network wider than /16) must be refused"
    own = [p for p in K8S_ROOT.glob("*.tf") if not p.is_symlink()]
    assert own and not any(re.search(r'"(0\.0\.0\.0|::)/0"', p.read_text()) for p in own)


def test_kubeconfig_and_tls_material_are_sensitive_without_defaults() -> None:
    outputs = {unq(next(iter(b))): next(iter(b.values())) for b in tf("k8s-outputs.tf")["output"]}
    assert outputs["kubeconfig"]["sensitive"] is True
    assert "selectel_mks_kubeconfig_v1" in unq(outputs["kubeconfig"]["value"])
    variables = tf_variables()
    for name in ("tls_certificate_pem", "tls_private_key_pem"):
        assert variables[name]["sensitive"] is True and "default" not in variables[name]


def test_gateway_terminates_tls_for_the_hostname() -> None:
    secret = tf_resources("kubernetes_secret_v1")["gateway_tls"]
    assert unq(secret["type"]) == "kubernetes.io/tls"
    assert set(secret["data"]) >= {'"tls.crt"', '"tls.key"'} or set(secret["data"]) >= {"tls.crt", "tls.key"}
    gateway = render("gateway.yaml.tftpl")
    https = [li for li in gateway["spec"]["listeners"] if li["protocol"] == "HTTPS"]
    assert len(https) == 1 and https[0]["port"] == 443 and https[0]["hostname"] == SAMPLE["hostname"]
    assert https[0]["tls"]["mode"] == "Terminate"
    assert https[0]["tls"]["certificateRefs"] == [{"kind": "Secret", "name": SAMPLE["tls_secret"]}]
    http = [li for li in gateway["spec"]["listeners"] if li["protocol"] == "HTTP"]
    redirect = render("httproute-redirect.yaml.tftpl")
    assert [p["sectionName"] for p in redirect["spec"]["parentRefs"]] == [http[0]["name"]]
    (rule,) = redirect["spec"]["rules"]
    assert rule["filters"][0]["requestRedirect"]["scheme"] == "https" and "backendRefs" not in rule
    api = render("httproute-api.yaml.tftpl")
    assert [p["sectionName"] for p in api["spec"]["parentRefs"]] == ["https"]
    assert api["spec"]["rules"][0]["backendRefs"] == [{"name": "airflow-api-server", "port": 8080}]
    assert (
        gateway["spec"]["gatewayClassName"]
        == yaml.safe_load((GATEWAY / "gatewayclass.yaml").read_text())["metadata"]["name"]
    )


def test_gateway_template_variables_are_what_terraform_passes() -> None:
    gateway_tf = (K8S_ROOT / "gateway.tf").read_text()
    passed = set(re.findall(r"^\s{4}(\w+)\s+=", gateway_tf.split("gateway_vars = {", 1)[1].split("}", 1)[0], re.M))
    for template in GATEWAY.glob("*.tftpl"):
        used = set(re.findall(r"(?<!\$)\$\{(\w+)\}", template.read_text()))
        assert used <= passed, f"{template.name} uses {used - passed}, not passed by gateway.tf"
        assert not re.search(r"%\{|\$\{[^}]*[^\w}]", template.read_text()), f"{template.name}: only ${{name}} allowed"


# --- manifests: kubernetes-validate ---

SAMPLE = {
    "namespace": "airflow",
    "hostname": "airflow.example.com",
    "tls_secret": "airflow-tls",
    "service": "airflow-api-server",
    "port": "8080",
    "admin_cidrs": '["198.51.100.0/24", "203.0.113.7/32"]',  # jsonencode(var.admin_cidrs)
}
ADMIN_CIDRS = ["198.51.100.0/24", "203.0.113.7/32"]
# The CRD schemas of the pinned Envoy Gateway chart (v1.7.4, whose CRDs Terraform installs): Gateway API's GatewayClass,
# Gateway and HTTPRoute (v1) and Envoy Gateway's EnvoyProxy and SecurityPolicy (v1alpha1), each version's
# openAPIV3Schema as in charts/gateway-helm/crds/ at that tag (the file names its commit).
CRD_SCHEMAS = Path(__file__).parent / "fixtures/envoy-gateway-v1.7.4-crd-schemas.json.gz"


def crd_schemas() -> dict[str, Any]:
    return json.loads(gzip.decompress(CRD_SCHEMAS.read_bytes()))["schemas"]


def strict(schema: Any) -> Any:
    """The CRD schema as `kubectl apply --validate=strict` applies it: an object refuses fields it does not list."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()}
    listed = "properties" in schema and "additionalProperties" not in schema
    if listed and not schema.get("x-kubernetes-preserve-unknown-fields"):
        result["additionalProperties"] = False
    return result


def validate_crd(document: dict[str, Any]) -> None:
    """A custom resource against its CRD's schema (CEL rules, x-kubernetes-validations, are not evaluated here)."""
    group_version = document["apiVersion"]
    schema = crd_schemas()[f"{group_version}/{document['kind']}"]
    jsonschema.Draft7Validator(strict(schema)).validate(document)


def render(name: str) -> dict[str, Any]:
    """What templatefile() makes of a k8s/gateway template: ${name} substituted, $${ left as ${."""
    text = (GATEWAY / name).read_text()
    text = re.sub(r"(?<!\$)\$\{(\w+)\}", lambda m: SAMPLE[m.group(1)], text).replace("$${", "${")
    return yaml.safe_load(text)


def sample_manifests(tmp_path: Path) -> list[dict[str, Any]]:
    secrets = tmp_path / ".secrets"
    secrets.mkdir(exist_ok=True)
    for name in (
        "postgresql_airflow_k8s_password",
        "postgresql_dwh_password",
        "airflow_admin_password",
        "airflow_jwt_secret",
        "airflow_api_secret_key",
    ):
        (secrets / name).write_text(f"{name}-p@ss/w0rd:x\n")
    (secrets / "airflow_fernet_seed").write_text("A" * 32 + "\n")
    (secrets / "ca").mkdir(exist_ok=True)
    (secrets / "ca/ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return k8s.platform_manifests(
        ROOT,
        secrets,
        db_host="10.213.7.10",
        sslmode="verify-full",
        git_url="https://gitlab.example.com/ml/mlops-platform.git",
        git_token="glpat-example",
        registry=k8s.Registry("registry.gitlab.example.com", "deploy", "token"),
    )


def test_manifests_written_by_mlopsctl_are_valid_kubernetes(tmp_path: Path) -> None:
    manifests = sample_manifests(tmp_path)
    assert {m["kind"] for m in manifests} == {"Namespace", "Secret"}
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)


def test_every_manifest_file_is_valid_kubernetes_or_a_gateway_api_resource() -> None:
    files = sorted((ROOT / "k8s").rglob("*.yaml")) + sorted((ROOT / "k8s").rglob("*.yaml.tftpl"))
    documents = []
    for path in files:
        if path == VALUES:
            continue
        documents.append(render(path.name) if path.suffix == ".tftpl" else yaml.safe_load(path.read_text()))
    assert len(documents) >= 7
    custom = 0
    for document in documents:
        if document["apiVersion"].startswith(("gateway.networking.k8s.io/", "gateway.envoyproxy.io/")):
            # kubernetes-validate ships only core Kubernetes schemas: it must say so, not pass silently.
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(document, KUBE_VERSION, strict=True)
            validate_crd(document)
            custom += 1
        else:
            kubernetes_validate.validate(document, KUBE_VERSION, strict=True)
    assert custom == 6


def test_the_crd_schemas_refuse_what_the_gateway_manifests_must_not_use() -> None:
    proxy = render("envoyproxy.yaml.tftpl")
    proxy["spec"]["provider"]["kubernetes"]["envoyService"]["loadBalancerSourceRange"] = ADMIN_CIDRS  # a typo
    policy = render("securitypolicy.yaml.tftpl")
    policy["spec"]["authorization"]["defaultAction"] = "Refuse"
    gateway = render("gateway.yaml.tftpl")
    gateway["spec"]["infrastructure"]["parametersRef"].pop("kind")
    for broken in (proxy, policy, gateway):
        with pytest.raises(jsonschema.ValidationError):
            validate_crd(broken)


def test_gateway_is_reachable_from_the_admin_cidrs_only() -> None:
    """Two layers: the Envoy Service's cloud load balancer admits only var.admin_cidrs, and Envoy refuses (403) any
    request from another address (the client address is kept: externalTrafficPolicy Local)."""
    gateway = render("gateway.yaml.tftpl")
    proxy = render("envoyproxy.yaml.tftpl")
    policy = render("securitypolicy.yaml.tftpl")
    ref = gateway["spec"]["infrastructure"]["parametersRef"]
    assert ref == {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": proxy["metadata"]["name"]}
    assert proxy["metadata"]["namespace"] == gateway["metadata"]["namespace"]
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    assert proxy["spec"]["provider"]["type"] == "Kubernetes"
    assert service["type"] == "LoadBalancer" and service["externalTrafficPolicy"] == "Local"
    assert service["loadBalancerSourceRanges"] == ADMIN_CIDRS
    (target,) = policy["spec"]["targetRefs"]
    assert target == {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway["metadata"]["name"]}
    assert policy["metadata"]["namespace"] == gateway["metadata"]["namespace"]
    authorization = policy["spec"]["authorization"]
    assert authorization["defaultAction"] == "Deny"
    assert authorization["rules"] == [
        {"name": "admin-cidrs", "action": "Allow", "principal": {"clientCIDRs": ADMIN_CIDRS}}
    ]
    # Terraform renders both from var.admin_cidrs, and makes the EnvoyProxy before the Gateway that names it.
    gateway_tf = (K8S_ROOT / "gateway.tf").read_text()
    assert re.search(r"^\s+admin_cidrs\s+=\s+jsonencode\(var\.admin_cidrs\)$", gateway_tf, re.M)
    manifests = tf_resources("kubernetes_manifest")
    assert "kubernetes_manifest.envoy_proxy" in [unq(d) for d in manifests["gateway"]["depends_on"]]
    assert "securitypolicy.yaml.tftpl" in unq(manifests["admin_cidrs_only"]["manifest"])
    assert "envoyproxy.yaml.tftpl" in unq(manifests["envoy_proxy"]["manifest"])


def test_kubernetes_validate_rejects_a_broken_secret(tmp_path: Path) -> None:
    broken = sample_manifests(tmp_path)[1]
    broken["stringData"] = {"connection": 5432}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBE_VERSION, strict=True)
    extra = sample_manifests(tmp_path)[1] | {"spec": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(extra, KUBE_VERSION, strict=True)


# --- mlopsctl.k8s ---


def test_metadata_connection_and_connections(tmp_path: Path) -> None:
    secrets = {m["metadata"]["name"]: m["stringData"] for m in sample_manifests(tmp_path) if m["kind"] == "Secret"}
    url = secrets["airflow-metadata"]["connection"]
    assert url == (
        "postgresql://airflow_k8s:postgresql_airflow_k8s_password-p%40ss%2Fw0rd%3Ax@10.213.7.10:5432/airflow_k8s"
        "?sslmode=verify-full&sslrootcert=%2Fopt%2Fairflow%2Fplatform-ca%2Fca.crt"
    )
    dwh = json.loads(secrets["airflow-connections"]["postgres_dwh"])
    assert dwh["host"] == "10.213.7.10" and dwh["schema"] == "dwh"
    assert dwh["extra"] == {"sslmode": "verify-full", "sslrootcert": k8s.PLATFORM_CA_FILE}
    assert secrets["airflow-platform-ca"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    assert json.loads(secrets["airflow-connections"]["mlops_git"])["conn_type"] == "git"
    registry = json.loads(secrets["airflow-registry"][".dockerconfigjson"])["auths"]["registry.gitlab.example.com"]
    assert base64.b64decode(registry["auth"]).decode() == "deploy:token"


def test_fernet_key_is_the_one_the_vms_derive(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    seed = "Zq9" * 10 + "xy"
    key = k8s.fernet_key(seed)
    ansible = base64.b64encode(seed.encode()).decode().replace("+", "-").replace("/", "_")
    assert key == ansible
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"conn")) == b"conn"


def test_secrets_refuse_bad_settings_and_missing_passwords(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sslmode 'on' is not one of"):
        k8s.platform_manifests(ROOT, tmp_path, "10.0.0.1", "on", "https://x/y.git", "t")
    with pytest.raises(ConfigError, match="must be https://"):
        k8s.platform_manifests(ROOT, tmp_path, "10.0.0.1", "require", "git@x:y.git", "t")
    with pytest.raises(ConfigError, match="postgresql_airflow_k8s_password is missing: converge db01"):
        k8s.platform_manifests(ROOT, tmp_path, "10.0.0.1", "verify-full", "https://x/y.git", "t")


def test_kubeconfig_is_written_for_the_owner_only(tmp_path: Path) -> None:
    outputs = json.loads((Path(__file__).parent / "fixtures/terraform-output-selectel-k8s.json").read_text())
    path = k8s.write_kubeconfig(outputs, tmp_path / "inv/.secrets")
    assert path == tmp_path / "inv/.secrets/kubeconfig"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text())["clusters"][0]["cluster"]["server"] == "https://203.0.113.50:6443"
    with pytest.raises(ConfigError, match="no kubeconfig"):
        k8s.write_kubeconfig({"hosts": {"value": {}}}, tmp_path)
    with pytest.raises(ConfigError, match="not a kubeconfig"):
        k8s.write_kubeconfig({"kubeconfig": {"value": "kind: Pod\n"}}, tmp_path)


def test_cluster_apply_stages_target_what_the_next_stage_needs(tmp_path: Path) -> None:
    cmds = k8s.cluster_commands("terraform", K8S_ROOT, "apply", "cluster")
    assert [c[2] for c in cmds] == ["init", "plan", "apply"] and cmds[2][-1] == "tfplan"
    targets = {a.split("=", 1)[1] for a in cmds[1] if a.startswith("-target=")}
    assert targets == set(k8s.STAGES["cluster"])
    declared = set(tf_resources("selectel_mks_nodegroup_v1"))
    assert {f"selectel_mks_nodegroup_v1.{n}" for n in declared} <= targets
    assert "openstack_networking_secgroup_rule_v2.postgresql_from_k8s_nodes" in targets
    assert not [a for a in k8s.cluster_commands("terraform", K8S_ROOT, "apply")[1] if a.startswith("-target")]
    gateway = k8s.cluster_commands("terraform", K8S_ROOT, "plan", "gateway")[1]
    assert "-target=helm_release.envoy_gateway" in gateway
    with pytest.raises(ConfigError, match="unknown stage"):
        k8s.cluster_commands("terraform", K8S_ROOT, "apply", "everything")


def test_ref_move_is_leased_and_reserialize_names_the_bundle() -> None:
    cmd = k8s.move_ref_command("origin", "airflow/production", "b" * 40, "a" * 40)
    assert cmd[:3] == ["git", "push", "--no-verify"]
    assert f"--force-with-lease=refs/heads/airflow/production:{'a' * 40}" in cmd
    assert cmd[-1] == f"{'b' * 40}:refs/heads/airflow/production"
    assert "--force-with-lease=refs/heads/airflow/production:" in k8s.move_ref_command(
        "o", "airflow/production", "b", None
    )
    reserialize = k8s.reserialize_command(Path("/k/config"))
    assert reserialize[-5:] == ["airflow", "dags", "reserialize", "--bundle-name", "mlops"]
    assert "deployment/airflow-dag-processor" in reserialize and "--kubeconfig=/k/config" in reserialize


def delivery(tmp_path: Path) -> k8s.Delivery:
    return k8s.Delivery("origin", "airflow/production", tmp_path / "kubeconfig", "https://a.example.com", "admin", "pw")


def test_a_failed_deploy_moves_the_ref_back(tmp_path: Path, monkeypatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(k8s, "ref_commit", lambda remote, ref: "a" * 40)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise CommandError("Airflow still lacks ['b']")

    monkeypatch.setattr(k8s, "wait_for_dags", fail)
    with pytest.raises(CommandError, match="still lacks"):
        k8s.deploy_dags(delivery(tmp_path), "b" * 40, {"b"}, run=ran.append)
    pushes = [c[-1] for c in ran if c[:2] == ["git", "push"]]
    assert pushes == [f"{'b' * 40}:refs/heads/airflow/production", f"{'a' * 40}:refs/heads/airflow/production"]
    assert sum("reserialize" in c for c in ran) == 2


def test_a_good_deploy_reports_the_previous_commit_and_rollback_uses_it(tmp_path: Path, monkeypatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(k8s, "ref_commit", lambda remote, ref: "a" * 40)
    monkeypatch.setattr(k8s, "wait_for_dags", lambda *a, **kw: None)
    assert k8s.deploy_dags(delivery(tmp_path), "b" * 40, {"b"}, run=ran.append) == "a" * 40
    assert [c[-1] for c in ran if c[:2] == ["git", "push"]] == [f"{'b' * 40}:refs/heads/airflow/production"]
    report = tmp_path / "deploy.env"
    k8s.write_dotenv(report, {"DAGS_PREVIOUS_COMMIT": "a" * 40})
    assert report.read_text() == f"DAGS_PREVIOUS_COMMIT={'a' * 40}\n"
    ran.clear()
    monkeypatch.setattr(k8s, "ref_commit", lambda remote, ref: "b" * 40)
    (tmp_path / "kubeconfig").write_text("kind: Config\n")
    env = {"MLOPS_K8S_AIRFLOW_URL": "https://a.example.com", "KUBECONFIG": str(tmp_path / "kubeconfig")}
    env |= {"MLOPS_AIRFLOW_ADMIN_PASSWORD": "pw", "DAGS_PREVIOUS_COMMIT": "a" * 40}
    assert k8s.rollback_from_env(tmp_path, env, run=ran.append) == "a" * 40
    assert ran[0][-1] == f"{'a' * 40}:refs/heads/airflow/production"
    with pytest.raises(ConfigError, match="DAGS_PREVIOUS_COMMIT is not set"):
        k8s.rollback_from_env(tmp_path, {**env, "DAGS_PREVIOUS_COMMIT": ""}, run=ran.append)


def test_delivery_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MLOPS_K8S_AIRFLOW_URL must be"):
        k8s.delivery_from_env(tmp_path, {"MLOPS_K8S_AIRFLOW_URL": "http://a"})
    with pytest.raises(ConfigError, match="no kubeconfig at"):
        k8s.delivery_from_env(tmp_path, {"MLOPS_K8S_AIRFLOW_URL": "https://a"})


def test_commit_dag_ids_refuses_import_errors(tmp_path: Path) -> None:
    fake = tmp_path / "python"

    def answer(payload: dict[str, Any]) -> None:
        fake.write_text(f"#!/bin/sh\necho '{json.dumps(payload)}'\n")
        fake.chmod(0o755)

    answer({"dag_ids": ["a_training", "b_training"], "errors": {}})
    assert k8s.commit_dag_ids(str(fake), tmp_path) == {"a_training", "b_training"}
    answer({"dag_ids": ["a_training"], "errors": {"dags/b.py": "SyntaxError"}})
    with pytest.raises(CommandError, match="do not import"):
        k8s.commit_dag_ids(str(fake), tmp_path)
    answer({"dag_ids": [], "errors": {}})
    with pytest.raises(CommandError, match="no DAG found"):
        k8s.commit_dag_ids(str(fake), tmp_path)


def test_secrets_from_the_cluster_outputs(tmp_path: Path) -> None:
    outputs = json.loads((Path(__file__).parent / "fixtures/terraform-output-selectel-k8s.json").read_text())
    secrets_dir = tmp_path / "inventories/selectel-k8s/.secrets"
    secrets_dir.parent.mkdir(parents=True)
    sample_manifests(secrets_dir.parent)  # writes the generated passwords there
    (tmp_path / "k8s").symlink_to(ROOT / "k8s")
    env = {"MLOPS_DAGS_GIT_TOKEN": "glpat-x", "MLOPS_REGISTRY_USER": "deploy", "MLOPS_REGISTRY_PASSWORD": "t"}
    manifests = {m["metadata"]["name"]: m for m in k8s.secrets_from_outputs(tmp_path, outputs, env, "verify-full")}
    assert manifests["airflow-metadata"]["stringData"]["connection"].endswith(
        "@10.213.7.10:5432/airflow_k8s?sslmode=verify-full&sslrootcert=%2Fopt%2Fairflow%2Fplatform-ca%2Fca.crt"
    )
    git = json.loads(manifests["airflow-connections"]["stringData"]["mlops_git"])
    assert git["host"] == "https://gitlab.example.com/ml/mlops-platform.git" and git["password"] == "glpat-x"
    auths = json.loads(manifests["airflow-registry"]["stringData"][".dockerconfigjson"])["auths"]
    assert list(auths) == ["registry.gitlab.example.com"]
    with pytest.raises(ConfigError, match="MLOPS_DAGS_GIT_TOKEN is not set"):
        k8s.secrets_from_outputs(tmp_path, outputs, {})
    with pytest.raises(ConfigError, match="no k8s_airflow"):
        k8s.secrets_from_outputs(tmp_path, {"hosts": outputs["hosts"]}, env)
    without_image = {**outputs, "k8s_airflow": {"value": {"git_url": "https://g.example/d.git"}}}
    with pytest.raises(ConfigError, match="k8s_airflow lacks image"):
        k8s.secrets_from_outputs(tmp_path, without_image, env)
