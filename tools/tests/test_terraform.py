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
import yaml
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
            # air01, and each Celery worker from its own /32 (its tasks and the result backend).
            allowed = {"${local.hosts.air01.ip}/32": None, "${each.value.ip}/32": "local.worker_hosts"}
            assert prefix in allowed, f"rule {name} opens 5432 to {prefix}"
            assert unq(rule.get("for_each", "")) == (allowed[prefix] or ""), f"rule {name}: {prefix} of what?"
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


# The backup host (#29): bak01, pgBackRest's repository, on the private network only.
BACKUP_VARIABLES = ("backup_host", "backup_flavor_name", "backup_volume_size")


def module_locals() -> dict[str, Any]:
    (found,) = parse(MODULE / "main.tf")["locals"]
    return found


@pytest.mark.parametrize("cloud", CLOUD_ROOTS, ids=lambda p: p.name)
def test_every_root_passes_the_backup_host_settings_to_the_module(cloud: Path) -> None:
    (module,) = parse(cloud / "main.tf")["module"]
    arguments = module['"platform"'] if '"platform"' in module else module["platform"]
    for name in BACKUP_VARIABLES:
        assert unq(arguments[name]) == f"var.{name}", f"{cloud.name} does not pass {name}"
    assert unq(blocks(cloud, "variable")["backup_host"]["default"]) is True, "a platform without backups is the bug"


def test_bak01_is_a_cpu_host_on_the_private_network_only() -> None:
    found = module_locals()
    bak01 = found["backup_hosts"]["bak01"]
    assert [unq(g) for g in bak01["groups"]] == ["backup"]
    assert bak01["gpu"] is False and bak01["public"] is False
    assert unq(bak01["ip"]) == "cidrhost(var.private_cidr, 12)"
    assert unq(bak01["flavor"]) == "var.backup_flavor_name" and unq(bak01["data_volume"]) == "var.backup_volume_size"
    assert (
        unq(found["hosts"])
        == "merge(local.platform_hosts, var.backup_host ? local.backup_hosts : {}, local.worker_hosts)"
    )
    assert all(host["public"] is True for host in found["platform_hosts"].values())
    # No floating IP and no public address in the outputs for a host that is not public.
    for kind in ("openstack_networking_floatingip_v2", "openstack_networking_floatingip_associate_v2"):
        assert unq(resources(MODULE, kind)["host"]["for_each"]) == "local.use_router ? local.public_hosts : {}"
    hosts_output = unq(blocks(MODULE, "output")["hosts"]["value"])
    assert re.search(r"public_ip\s*=\s*\(\s*!host\.public\s*\?\s*null\s*:", hosts_output)
    # Its public port (Immers.cloud: the way out to the package mirrors) carries a group that admits nothing.
    assert unq(found["public_groups"]["bak01"]).endswith("[openstack_networking_secgroup_v2.egress_only[0].id] : []")
    rules = resources(MODULE, "openstack_networking_secgroup_rule_v2")
    assert not [n for n, r in rules.items() if "egress_only" in unq(r["security_group_id"])]


def test_ssh_to_bak01_only_from_db01_and_to_db01_from_bak01() -> None:
    found = module_locals()
    assert (
        unq(found["private_groups"]["bak01"])
        == "var.backup_host ? [openstack_networking_secgroup_v2.backup[0].id] : []"
    )
    assert "openstack_networking_secgroup_v2.backup_client[0].id" in unq(found["private_groups"]["db01"])
    rules = resources(MODULE, "openstack_networking_secgroup_rule_v2")
    into = {
        group: [
            r
            for r in rules.values()
            if unq(r["security_group_id"]) == f"openstack_networking_secgroup_v2.{group}[0].id"
        ]
        for group in ("backup", "backup_client")
    }
    expected = {"backup": "${local.hosts.db01.ip}/32", "backup_client": "${local.backup_hosts.bak01.ip}/32"}
    for group, (rule,) in into.items():
        assert (rule["port_range_min"], rule["port_range_max"], unq(rule["protocol"])) == (22, 22, "tcp")
        assert unq(rule["direction"]) == "ingress" and unq(rule["remote_ip_prefix"]) == expected[group]


def console_dir(tmp_path: Path, tfvars: dict[str, Any]) -> Path:
    """The module's variables and its locals that name no resource, in a directory Terraform evaluates without
    providers: `terraform console` then computes the hosts the module makes from the given variables."""
    text = (MODULE / "main.tf").read_text()
    body = re.search(r"^locals \{\n(.*?)^\}", text, re.DOTALL | re.MULTILINE).group(1)
    attributes = re.split(r"\n(?=  [a-z_]+\s+=)", body)
    kept = [a for a in attributes if "openstack_" not in a and re.match(r"\s*(#.*\n\s*)*[a-z_]+\s+=", a)]
    (tmp_path / "variables.tf").write_text((MODULE / "variables.tf").read_text())
    (tmp_path / "locals.tf").write_text("locals {\n" + "\n".join(kept) + "\n}\n")
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps(tfvars))
    return tmp_path


def module_hosts(tmp_path: Path, **settings: Any) -> dict[str, Any]:
    tfvars = {
        "admin_cidrs": ["203.0.113.0/24"],
        "ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey",
        "image_name": "Debian 13",
        "db_flavor_name": "rtx4090-1.8.16.40",
        "airflow_flavor_name": "cpu.4.8.40",
        "backup_flavor_name": "cpu.2.4.20",
        **settings,
    }
    directory = console_dir(tmp_path, tfvars)
    printed = terraform_eval(
        "jsonencode({hosts = local.hosts, public = keys(local.public_hosts), data = keys(local.data_hosts)})", directory
    )
    return json.loads(json.loads(printed))


def test_terraform_makes_bak01_private_with_its_data_volume(tmp_path: Path) -> None:
    made = module_hosts(tmp_path, backup_volume_size=500)
    bak01 = made["hosts"]["bak01"]
    assert bak01["ip"] == "10.213.7.12" and bak01["groups"] == ["backup"] and bak01["gpu"] is False
    assert made["public"] == ["air01", "db01"] and made["data"] == ["bak01"]
    assert bak01["data_volume"] == 500 and bak01["flavor"] == "cpu.2.4.20"
    # The volume is mounted where the pgbackrest role keeps the repository by default.
    defaults = (ROOT / "collections/ansible_collections/datatech/mlops/roles/pgbackrest/defaults/main.yml").read_text()
    assert f"pgbackrest_repo_path: {bak01['data_path']}\n" in defaults


def test_without_backup_host_there_is_no_bak01(tmp_path: Path) -> None:
    assert sorted(module_hosts(tmp_path, backup_host=False)["hosts"]) == ["air01", "db01"]


@pytest.mark.parametrize(("size", "accepted"), [(0, False), (-10, False), (0.5, False), (1, True), (200, True)])
def test_the_backup_volume_size_must_be_whole_gb_above_zero(size: float, accepted: bool, tmp_path: Path) -> None:
    assert all(validation_of("backup_volume_size", size, tmp_path)) is accepted


@pytest.mark.parametrize(
    ("cidr", "accepted"), [("10.213.7.0/24", True), ("10.213.7.0/28", True), ("10.213.7.0/29", False)]
)
def test_the_private_network_has_room_for_bak01(cidr: str, accepted: bool, tmp_path: Path) -> None:
    assert all(validation_of("private_cidr", cidr, tmp_path)) is accepted


def cloud_init(tmp_path: Path, data_device: str, data_path: str) -> dict[str, Any]:
    template = MODULE / "cloud-init.yaml.tftpl"
    settings = {
        "hostname": "bak01", "admin_user": "mlops", "ssh_public_key": "ssh-ed25519 AAAA admin",
        "host_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "host_public_key": "ssh-ed25519 AAAA", "data_device": data_device, "data_path": data_path,
    }  # fmt: skip
    rendered = terraform_eval(f"templatefile({json.dumps(str(template))}, {json.dumps(settings)})", tmp_path)
    text = rendered.split("\n", 1)[1].rsplit("\nEOT", 1)[0]  # console prints a heredoc: <<EOT ... EOT
    assert text.startswith("#cloud-config\n"), rendered
    return yaml.safe_load(text)


def test_cloud_init_formats_the_data_volume_once_and_mounts_it(tmp_path: Path) -> None:
    device = "/dev/disk/by-id/virtio-0123456789abcdef0123"
    config = cloud_init(tmp_path, device, "/var/lib/pgbackrest")
    (fs,) = config["fs_setup"]
    assert fs["device"] == device and fs["overwrite"] is False and fs["partition"] == "none"
    (mount,) = config["mounts"]
    assert mount[:3] == [f"LABEL={fs['label']}", "/var/lib/pgbackrest", fs["filesystem"]] and "nofail" in mount[3]
    plain = cloud_init(tmp_path, "", "")
    assert "fs_setup" not in plain and "mounts" not in plain and plain["hostname"] == "bak01"


def test_the_outputs_carry_the_private_network() -> None:
    assert unq(blocks(MODULE, "output")["private_cidr"]["value"]) == "var.private_cidr"
    for cloud in CLOUD_ROOTS:
        assert unq(blocks(cloud, "output")["private_cidr"]["value"]) == "module.platform.private_cidr"


# Airflow's Celery workers (#27): worker_count VMs in group airflow_workers, private network only like bak01.
WORKER_VARIABLES = ("worker_count", "worker_flavor_name", "worker_gpu", "worker_volume_size")


@pytest.mark.parametrize("cloud", CLOUD_ROOTS, ids=lambda p: p.name)
def test_every_root_passes_the_worker_settings_to_the_module(cloud: Path) -> None:
    (module,) = parse(cloud / "main.tf")["module"]
    arguments = module['"platform"'] if '"platform"' in module else module["platform"]
    for name in WORKER_VARIABLES:
        assert unq(arguments[name]) == f"var.{name}", f"{cloud.name} does not pass {name}"
    variables = blocks(cloud, "variable")
    assert unq(variables["worker_count"]["default"]) == 0, "workers are optional: none unless asked for"
    assert unq(variables["worker_gpu"]["default"]) is False


def test_workers_are_private_hosts_in_airflow_workers() -> None:
    workers = module_locals()["worker_hosts"]
    assert unq(workers).startswith('{for i in range(var.worker_count) : format("wrk%02d", i + 1) => {')
    for expected in ('groups = ["airflow_workers"]', "public = false", "cidrhost(var.private_cidr, 20 + i)",
                     "flavor = var.worker_flavor_name", "gpu = var.worker_gpu"):  # fmt: skip
        assert re.sub(r"\s+", " ", expected) in re.sub(r"\s+", " ", unq(workers)), expected
    # Their public ports (Immers.cloud: the way out to the package mirrors) carry the group that admits nothing.
    text = source_text(MODULE)
    assert re.search(r"worker_public_groups = \{[^\n]*egress_only\[0\]\.id\] : \[\] \}", text)
    assert re.search(
        r"worker_private_groups = \{[^\n]*=> \[openstack_networking_secgroup_v2\.worker\[0\]\.id\] \}", text
    )
    assert "local.use_egress_only ? 1 : 0" in text


def _rules_into(group: str) -> dict[str, dict[str, Any]]:
    rules = resources(MODULE, "openstack_networking_secgroup_rule_v2")
    return {
        n: r
        for n, r in rules.items()
        if unq(r["security_group_id"]).startswith(f"openstack_networking_secgroup_v2.{group}")
    }


def test_broker_and_log_ports_are_open_on_the_private_network_only() -> None:
    rules = resources(MODULE, "openstack_networking_secgroup_rule_v2")
    by_port = {}
    for name, rule in rules.items():
        low, high = rule["port_range_min"], rule["port_range_max"]
        for port in (6379, 8793):
            if isinstance(low, int) and low <= port <= high:
                by_port.setdefault(port, []).append(name)
    assert by_port == {6379: ["broker_from_workers"], 8793: ["worker_logs"]}
    broker, logs = rules["broker_from_workers"], rules["worker_logs"]
    # The broker on air01: from each worker's own /32; the log server on each worker: from air01's /32.
    assert unq(broker["for_each"]) == "local.worker_hosts" and unq(broker["remote_ip_prefix"]) == "${each.value.ip}/32"
    assert unq(broker["security_group_id"]) == "openstack_networking_secgroup_v2.worker_clients[0].id"
    assert unq(logs["remote_ip_prefix"]) == "${local.hosts.air01.ip}/32"
    assert unq(logs["security_group_id"]) == "openstack_networking_secgroup_v2.worker[0].id"
    # Into a worker: SSH from db01 (the jump host) and the log port from air01, nothing else.
    into_worker = {n: (r["port_range_min"], unq(r["remote_ip_prefix"])) for n, r in _rules_into("worker").items()
                   if "worker_clients" not in unq(r["security_group_id"])}  # fmt: skip
    assert into_worker == {
        "worker_ssh": (22, "${local.hosts.db01.ip}/32"),
        "worker_logs": (8793, "${local.hosts.air01.ip}/32"),
    }
    # The worker groups sit on private ports only: air01's public port (Immers.cloud) does not carry the broker's.
    found = module_locals()
    assert "worker_clients" in unq(found["private_groups"]["air01"])
    assert "worker_clients" not in unq(found["public_groups"]["air01"])
    api = rules["execution_api_from_workers"]
    assert unq(api["port_range_min"]) == unq(api["port_range_max"]) == "var.airflow_port"
    assert unq(api["remote_ip_prefix"]) == "${each.value.ip}/32" and unq(api["for_each"]) == "local.worker_hosts"


def test_terraform_makes_the_workers_private_with_addresses_from_20(tmp_path: Path) -> None:
    made = module_hosts(tmp_path, worker_count=3, worker_flavor_name="cpu.8.16.80")
    workers = {n: h for n, h in made["hosts"].items() if "airflow_workers" in h["groups"]}
    assert sorted(workers) == ["wrk01", "wrk02", "wrk03"]
    assert [workers[n]["ip"] for n in sorted(workers)] == ["10.213.7.20", "10.213.7.21", "10.213.7.22"]
    assert all(not h["public"] and not h["gpu"] and h["flavor"] == "cpu.8.16.80" for h in workers.values())
    assert made["public"] == ["air01", "db01"]
    assert sorted(module_hosts(tmp_path)["hosts"]) == ["air01", "bak01", "db01"]  # worker_count defaults to 0


def module_errors(tmp_path: Path, **settings: Any) -> str:
    """What Terraform refuses in the module's variables (validations of every variable, evaluated by console)."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed here: the validations were only parsed, not evaluated")
    tfvars = {
        "admin_cidrs": ["203.0.113.0/24"], "ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKey",
        "image_name": "Debian 13", "db_flavor_name": "rtx4090-1.8.16.40", "airflow_flavor_name": "cpu.4.8.40",
        "backup_flavor_name": "cpu.2.4.20", **settings,
    }  # fmt: skip
    directory = console_dir(tmp_path, tfvars)
    done = subprocess.run(
        [binary, "console", "-no-color"], input="length(local.worker_hosts)", cwd=directory,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return "" if done.returncode == 0 else " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"worker_count": -1}, "worker_count must be a whole number from 0 to 20"),
        ({"worker_count": 21, "worker_flavor_name": "cpu.8.16.80"}, "worker_count must be a whole number from 0 to 20"),
        ({"worker_count": 1.5, "worker_flavor_name": "cpu.8.16.80"}, "worker_count must be a whole number"),
        ({"worker_count": 2}, "worker_flavor_name is empty"),
        ({"worker_count": 2, "worker_flavor_name": " "}, "worker_flavor_name is empty"),
        ({"worker_count": 1, "worker_flavor_name": "cpu.8.16.80", "private_cidr": "10.213.7.0/28"},
         "private_cidr has no room for worker_count workers"),
        ({"worker_count": 12, "worker_flavor_name": "cpu.8.16.80", "private_cidr": "10.213.7.0/27"},
         "private_cidr has no room"),
        ({"worker_count": 1, "worker_flavor_name": "cpu.8.16.80", "worker_gpu": True}, "worker_gpu = true with a CPU"),
        ({"worker_count": 1, "worker_flavor_name": "cpu.8.16.80", "worker_volume_size": 10}, "worker_volume_size must"),
    ],
)  # fmt: skip
def test_bad_worker_settings_are_refused_with_what_to_do(settings: dict, message: str, tmp_path: Path) -> None:
    assert message in module_errors(tmp_path, **settings)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"worker_count": 0, "worker_flavor_name": ""},
        {"worker_count": 20, "worker_flavor_name": "cpu.8.16.80"},
        {"worker_count": 11, "worker_flavor_name": "cpu.8.16.80", "private_cidr": "10.213.7.0/27"},
        {"worker_count": 2, "worker_flavor_name": "rtx4090-1.8.16.40", "worker_gpu": True},
    ],
)
def test_good_worker_settings_are_accepted(settings: dict, tmp_path: Path) -> None:
    assert module_errors(tmp_path, **settings) == ""
