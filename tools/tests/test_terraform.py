"""Static checks of terraform/ (no provider can be downloaded here, so `terraform validate` runs only in GitLab CI):
every file parses, providers are pinned, variables typed and described, db01 forced onto a GPU flavor, PostgreSQL
never open to the internet, outputs complete for the inventory."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
from conftest import ROOT, unq

from mlopsctl.infra import CLOUDS

TERRAFORM = ROOT / "terraform"
MODULE = TERRAFORM / "modules/mlops-platform"
CLOUD_ROOTS = [TERRAFORM / "selectel", TERRAFORM / "immers", TERRAFORM / "selectel-k8s"]
ALL_DIRS = [MODULE, *CLOUD_ROOTS]
TF_FILES = sorted(TERRAFORM.rglob("*.tf"))


def parse(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return hcl2.load(handle)


def blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Blocks of one kind (variable, output, ...) across a directory's .tf files, by unquoted name."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            for name, body in block.items():
                found[unq(name)] = body
    return found


def resources(directory: Path, rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get("resource", []):
            for kind, named in block.items():
                if unq(kind) == rtype:
                    found.update({unq(n): body for n, body in named.items()})
    return found


def source_text(directory: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(directory.glob("*.tf")))


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_tf_file_parses(path: Path) -> None:
    assert isinstance(parse(path), dict)


def test_there_is_a_module_and_one_root_per_cloud() -> None:
    for directory in ALL_DIRS:
        for name in ("versions.tf", "variables.tf", "outputs.tf", "main.tf"):
            assert (directory / name).is_file(), f"{directory.relative_to(ROOT)} lacks {name}"
    for cloud in CLOUD_ROOTS:
        assert (cloud / "terraform.tfvars.example").is_file()
        assert (cloud / "backend-s3.tf.example").is_file() and (cloud / "backend.hcl.example").is_file()
        assert 'source = "../modules/mlops-platform"' in (cloud / "main.tf").read_text()


@pytest.mark.parametrize("directory", ALL_DIRS, ids=lambda p: p.name)
def test_terraform_and_providers_are_pinned(directory: Path) -> None:
    (terraform,) = parse(directory / "versions.tf")["terraform"]
    assert unq(terraform["required_version"]).startswith(">= 1.")
    # Terraform merges the required_providers of every terraform block in a directory (a root adds its own).
    providers: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get("terraform", []):
            for required in block.get("required_providers", []):
                for name, spec in required.items():
                    if name == "__is_block__" or name.startswith("__"):
                        continue
                    assert name not in providers, f"{name} is required twice in {directory.name}"
                    providers[name] = spec
    assert providers, "no required_providers"
    for name, spec in providers.items():
        assert "/" in unq(spec["source"]), f"{name}: source must be namespace/name"
        assert re.match(r"^(~>|=)\s*\d+\.\d+", unq(spec["version"])), f"{name}: version {spec['version']} not pinned"
    used = {m.group(1) for m in re.finditer(r'^(?:resource|data) "([a-z0-9]+)_', source_text(directory), re.MULTILINE)}
    assert used <= set(providers), f"{directory.name} uses providers it does not pin: {used - set(providers)}"


@pytest.mark.parametrize("directory", ALL_DIRS, ids=lambda p: p.name)
def test_every_variable_is_typed_described_and_used(directory: Path) -> None:
    variables = blocks(directory, "variable")
    assert variables
    text = source_text(directory)
    for name, body in variables.items():
        assert "type" in body, f"{name}: no type"
        assert len(unq(body.get("description", ""))) > 10, f"{name}: no description"
        assert f"var.{name}" in text, f"{name}: declared but never used"


@pytest.mark.parametrize("cloud", CLOUD_ROOTS, ids=lambda p: p.name)
def test_tfvars_example_sets_only_declared_variables(cloud: Path) -> None:
    declared = set(blocks(cloud, "variable"))
    example = (cloud / "terraform.tfvars.example").read_text()
    keys = set(re.findall(r"^([a-z0-9_]+)\s*=", example, re.MULTILINE))
    assert keys and keys <= declared, keys - declared
    # Sensitive variables (TLS keys) come from TF_VAR_* in the environment, never from a file.
    variables = blocks(cloud, "variable")
    required = {n for n, b in variables.items() if "default" not in b and b.get("sensitive") is not True}
    assert required <= keys, f"the example leaves required variables out: {required - keys}"
    assert not keys & {n for n, b in variables.items() if b.get("sensitive") is True}


def test_db01_flavor_name_validation_refuses_cpu_flavors() -> None:
    (validation,) = blocks(MODULE, "variable")["db_flavor_name"]["validation"]
    pattern = re.search(r'regex\("(.+?)", lower', unq(validation["condition"])).group(1).replace("\\\\", "\\")
    for cpu in ("cpu.4.8.40", "cpu.16.128.240", "m1.large"):
        assert re.search(pattern, cpu.lower()), f"{cpu} would be accepted for db01"
    for gpu in ("rtx4090-1.8.16.40", "a100-1.16.64.160", "GL2.4-16384-0-1GPU"):
        assert not re.search(pattern, gpu.lower()), f"{gpu} would be refused"


def test_db01_is_checked_for_a_gpu_flavor_at_plan_time() -> None:
    instance = resources(MODULE, "openstack_compute_instance_v2")["host"]
    (lifecycle,) = instance["lifecycle"]
    (precondition,) = lifecycle["precondition"]
    condition = unq(precondition["condition"])
    assert "each.value.gpu" in condition and "extra_specs" in condition and "var.gpu_extra_spec_keys" in condition
    module_text = source_text(MODULE)
    assert re.search(r"db01\s*=\s*\{[^}]*gpu\s*=\s*true", module_text), "db01 must be the GPU host"
    assert re.search(r"air01\s*=\s*\{[^}]*gpu\s*=\s*false", module_text)


def test_postgresql_is_never_open_to_the_internet() -> None:
    rules = resources(MODULE, "openstack_networking_secgroup_rule_v2")
    variables = blocks(MODULE, "variable")

    def port(value: Any) -> int:
        value = unq(value)  # a literal, or var.NAME resolved to its default
        return int(unq(variables[value[4:]]["default"]) if str(value).startswith("var.") else value)

    assert rules
    for name, rule in rules.items():
        low, high = port(rule["port_range_min"]), port(rule["port_range_max"])
        prefix = unq(rule.get("remote_ip_prefix", ""))
        assert prefix not in ("0.0.0.0/0", "::/0", ""), f"rule {name} is open to everyone"
        if low <= 5432 <= high:
            assert prefix == "${local.hosts.air01.ip}/32", f"rule {name} opens 5432 to {prefix}"
    # The public port (Immers.cloud) never carries the database group.
    public_groups = re.search(r"public_groups = \{(.*?)\n  \}", source_text(MODULE), re.DOTALL).group(1)
    assert "secgroup_v2.db" not in public_groups


def test_roots_link_shared_files_only_inside_the_repository() -> None:
    for cloud in CLOUD_ROOTS:
        for path in cloud.iterdir():
            if path.is_symlink():
                target = path.resolve()
                assert target.is_relative_to(TERRAFORM), f"{path} links outside terraform/: {target}"
                assert target.is_file() and not Path(path.readlink()).is_absolute(), path
    k8s_root = TERRAFORM / "selectel-k8s"
    for name in ("versions.tf", "common-variables.tf", "outputs.tf"):
        assert (k8s_root / name).resolve() == (TERRAFORM / "shared" / name).resolve()


def test_postgresql_from_a_k8s_root_is_open_to_its_node_subnet_only() -> None:
    root = TERRAFORM / "selectel-k8s"
    rules = resources(root, "openstack_networking_secgroup_rule_v2")
    assert rules
    for name, rule in rules.items():
        prefix = unq(rule["remote_ip_prefix"])
        assert prefix not in ("0.0.0.0/0", "::/0", ""), f"rule {name} is open to everyone"
        if int(rule["port_range_min"]) <= 5432 <= int(rule["port_range_max"]):
            assert prefix == "var.k8s_nodes_cidr", f"rule {name} opens 5432 to {prefix}"
    (validation,) = blocks(root, "variable")["k8s_nodes_cidr"]["validation"]
    assert ">= 16" in unq(validation["condition"])


def terraform_eval(expression: str, tmp_path: Path) -> str:
    """What `terraform console` prints for an expression (no provider needed); skipped where terraform is absent."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed here: the validations were only parsed, not evaluated")
    done = subprocess.run(
        [binary, "console"], input=expression, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def validation_of(variable: str, value: Any, tmp_path: Path) -> list[bool]:
    """Each validation condition of a module variable, evaluated by Terraform itself with the given value."""
    results = []
    for validation in blocks(MODULE, "variable")[variable]["validation"]:
        condition = unq(validation["condition"]).replace(f"var.{variable}", json.dumps(value))
        results.append(terraform_eval(condition, tmp_path) == "true")
    return results


@pytest.mark.parametrize(
    "cidrs",
    [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["10.0.0.0/7"], ["::/0"], ["2001:db8::/31"], [], ["not-a-cidr"]],
)
def test_admin_cidrs_refuse_the_whole_internet(cidrs: list[str], tmp_path: Path) -> None:
    assert not all(validation_of("admin_cidrs", cidrs, tmp_path)), cidrs


def test_admin_cidrs_take_an_office_network(tmp_path: Path) -> None:
    assert all(validation_of("admin_cidrs", ["203.0.113.0/24", "10.0.0.0/8", "2001:db8::/48"], tmp_path))


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey admin@example", True),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey", True),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey admin\nruncmd: [touch /pwned]", False),
        ("ssh-ed25519 AAAAC3Nza\nruncmd:\n  - id", False),
        ("ssh-dss AAAAB3NzaC1kc3M", False),
        ("", False),
    ],
)
def test_the_ssh_key_is_one_key_line_and_nothing_more(key: str, accepted: bool, tmp_path: Path) -> None:
    expression = json.dumps(key)  # HCL reads JSON string escapes (\n) as its own
    results = []
    for validation in blocks(MODULE, "variable")["ssh_public_key"]["validation"]:
        condition = unq(validation["condition"]).replace("var.ssh_public_key", expression)
        results.append(terraform_eval(condition, tmp_path) == "true")
    assert all(results) is accepted


@pytest.mark.parametrize("cloud", CLOUD_ROOTS, ids=lambda p: p.name)
def test_outputs_give_what_the_inventory_needs(cloud: Path) -> None:
    outputs = blocks(cloud, "output")
    assert {"cloud", "hosts", "ssh_user", "airflow_url"} <= set(outputs)
    assert all(len(unq(o["description"])) > 10 for o in outputs.values())
    # The root's directory name is the cloud's name, as mlopsctl's --cloud knows it.
    assert unq(outputs["cloud"]["value"]) == "basename(abspath(path.root))" and cloud.name in CLOUDS
    module_hosts = unq(blocks(MODULE, "output")["hosts"]["value"])
    for key in ("groups", "private_ip", "public_ip", "gpu"):
        assert re.search(rf"\b{key}\s*=", module_hosts), f"module output hosts lacks {key}"


def test_no_secret_has_a_default_or_lives_in_the_examples() -> None:
    for directory in ALL_DIRS:
        for name in blocks(directory, "variable"):
            assert "password" not in name and "secret" not in name, f"{name}: secrets come from the environment"
    for example in TERRAFORM.rglob("*.example"):
        assert not re.search(r"(password|secret)\s*=", example.read_text(), re.IGNORECASE), example


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_terraform_fmt_is_clean() -> None:
    done = subprocess.run(["terraform", "fmt", "-check", "-recursive", str(TERRAFORM)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_readme_variables_tables_are_generated_from_the_code() -> None:
    from mlopsctl.docs import TABLES_END, TABLES_START, terraform_variable_tables

    readme = (TERRAFORM / "README.md").read_text()
    section = readme.split(TABLES_START, 1)[1].split(TABLES_END, 1)[0]
    assert terraform_variable_tables(ROOT) in section, "run `mlopsctl docs`"
