"""mlopsctl infra: the Terraform calls it makes, and the inventory it writes from `terraform output -json`
documents recorded by hand from the outputs.tf contract (no cloud is reachable from here)."""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsctl.cli import main
from mlopsctl.errors import ConfigError
from mlopsctl.infra import cloud_dir, inventory_from_outputs, terraform_commands, write_cloud_inventory

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def outputs(cloud: str) -> dict:
    return json.loads((FIXTURES / f"terraform-output-{cloud}.json").read_text())


@pytest.mark.parametrize("cloud", ["selectel", "immers"])
def test_inventory_has_the_local_shape_with_public_addresses(cloud: str) -> None:
    inventory = inventory_from_outputs(outputs(cloud))
    children = inventory["all"]["children"]
    # Every group site.yml's plays target is there, the ones without hosts empty (no "could not match" warning).
    assert set(children) == {"db", "airflow", "backup", "airflow_workers"}
    assert children["backup"] == children["airflow_workers"] == {"hosts": {}}
    db01 = children["db"]["hosts"]["db01"]
    assert db01["mlops_private_ip"] == "10.213.7.10"
    assert db01["ansible_host"].startswith(("198.51.100.", "203.0.113."))
    assert db01["postgresql_pg_strom"] is True  # a GPU flavor makes pg_strom required, not best effort
    assert "postgresql_pg_strom" not in children["airflow"]["hosts"]["air01"]
    # Every GPU flavor is watched for a GPU the VM does not show; CPU hosts are not.
    assert db01["monitoring_gpu_required"] is True
    assert "monitoring_gpu_required" not in children["airflow"]["hosts"]["air01"]
    assert inventory["all"]["vars"]["ansible_user"] == "mlops"
    # The UI's address: nginx redirects plain HTTP to it and the certificate names its host.
    assert children["airflow"]["hosts"]["air01"]["airflow_base_url"].startswith("https://")
    assert "airflow_base_url" not in db01


def test_an_airflow_url_that_is_not_https_is_refused() -> None:
    doc = outputs("selectel")
    doc["airflow_url"]["value"] = "http://198.51.100.21:8080"
    with pytest.raises(ConfigError, match="must be an https:// URL"):
        inventory_from_outputs(doc)


def test_a_k8s_root_admits_its_node_subnet_to_db01s_pg_hba() -> None:
    inventory = inventory_from_outputs(outputs("selectel-k8s"))
    children = inventory["all"]["children"]
    db01 = children["db"]["hosts"]["db01"]
    assert db01["mlops_airflow_client_cidrs"] == ["10.213.7.11/32", "10.213.8.0/24"]
    assert "mlops_airflow_client_cidrs" not in children["airflow"]["hosts"]["air01"]
    assert (
        "mlops_airflow_client_cidrs"
        not in inventory_from_outputs(outputs("selectel"))["all"]["children"]["db"]["hosts"]["db01"]
    )


@pytest.mark.parametrize(
    ("cidr", "message"),
    [("0.0.0.0/0", "must be a private subnet of /16 or smaller"), ("10.0.0.0/8", "/16 or smaller"),
     ("8.8.8.0/24", "must be a private subnet"), ("10.213.8.0/33", "is not a network")],
)  # fmt: skip
def test_a_k8s_node_subnet_that_is_too_wide_or_public_is_refused(cidr: str, message: str) -> None:
    doc = outputs("selectel-k8s")
    doc["k8s_nodes_cidr"]["value"] = cidr
    with pytest.raises(ConfigError, match=re.escape(message)):
        inventory_from_outputs(doc)


def test_pg_hba_variable_from_the_k8s_inventory_reaches_ansible(tmp_path: Path) -> None:
    path = write_cloud_inventory(tmp_path, "selectel-k8s", inventory_from_outputs(outputs("selectel-k8s")))
    binary = Path(sys.executable).parent / "ansible-inventory"
    listed = json.loads(subprocess.run([str(binary), "-i", str(path), "--list"], capture_output=True, text=True).stdout)
    assert listed["_meta"]["hostvars"]["db01"]["mlops_airflow_client_cidrs"] == ["10.213.7.11/32", "10.213.8.0/24"]


def test_a_host_without_public_address_is_reached_on_its_private_one() -> None:
    doc = outputs("immers")
    doc["hosts"]["value"]["air01"]["public_ip"] = None
    air01 = inventory_from_outputs(doc)["all"]["children"]["airflow"]["hosts"]["air01"]
    assert air01["ansible_host"] == air01["mlops_private_ip"] == "10.213.7.11"


def fake_checkout(tmp_path: Path, cloud: str) -> Path:
    """The least of a checkout `mlopsctl --root` accepts, with one cloud root."""
    checkout = tmp_path / "checkout"
    (checkout / "terraform" / cloud).mkdir(parents=True)
    for name in ("site.yml", "ansible.cfg", f"terraform/{cloud}/main.tf"):
        (checkout / name).write_text("")
    return checkout


def with_backup_host(cloud: str, private_ip: str = "10.213.7.12") -> dict:
    """The outputs of a root with bak01 (terraform/modules/mlops-platform): private address only, and the network."""
    doc = outputs(cloud)
    doc["hosts"]["value"]["bak01"] = {
        "flavor": "cpu.2.4.20",
        "gpu": False,
        "groups": ["backup"],
        "private_ip": private_ip,
        "public_ip": None,
        "ssh_host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfcfwsZ8gG+Pvvz1y3TMWiE0pWxXcZuo+2b29pb6zVs",
    }
    doc["private_cidr"] = {"sensitive": False, "type": "string", "value": "10.213.7.0/24"}
    return doc


@pytest.mark.parametrize("cloud", ["selectel", "immers"])
def test_the_backup_host_is_in_the_backup_group_and_reached_through_db01(cloud: str, tmp_path: Path) -> None:
    doc = with_backup_host(cloud)
    db01_public = doc["hosts"]["value"]["db01"]["public_ip"]
    path = write_cloud_inventory(tmp_path, cloud, inventory_from_outputs(doc))
    written = yaml.safe_load(path.read_text())["all"]
    bak01 = written["children"]["backup"]["hosts"]["bak01"]
    assert bak01["ansible_host"] == bak01["mlops_private_ip"] == "10.213.7.12"
    assert f"mlops@{db01_public}" in bak01["ansible_ssh_common_args"]
    # Hosts with a public address connect straight to it, with the inventory's shared options.
    assert "ansible_ssh_common_args" not in written["children"]["db"]["hosts"]["db01"]
    assert f"10.213.7.12 {doc['hosts']['value']['bak01']['ssh_host_key']}" in (path.parent / "known_hosts").read_text()
    listed = json.loads(
        subprocess.run(
            [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
            capture_output=True,
            text=True,
        ).stdout
    )
    assert listed["backup"]["hosts"] == ["bak01"]


def ssh_config(args: list[str], destination: str) -> dict[str, str]:
    """What OpenSSH itself makes of the options (`ssh -G`: the resolved configuration, nothing is connected)."""
    done = subprocess.run(["ssh", "-G", "-F", "/dev/null", *args, destination], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


def test_both_hops_to_the_backup_host_accept_only_the_pinned_host_keys(tmp_path: Path) -> None:
    path = write_cloud_inventory(tmp_path, "selectel", inventory_from_outputs(with_backup_host("selectel")))
    done = ansible_var(path, tmp_path, "bak01", "ansible_ssh_common_args")
    assert done.returncode == 0, done.stdout + done.stderr
    templated = json.loads(done.stdout.split("=>", 1)[1])["ansible_ssh_common_args"]
    known_hosts = str(path.parent / "known_hosts")
    # Ansible splits ssh_common_args the way a shell would, then hands them to ssh.
    outer = ssh_config(shlex.split(templated), "mlops@10.213.7.12")
    assert outer["userknownhostsfile"] == known_hosts and outer["stricthostkeychecking"] == "true"
    assert outer["proxycommand"].endswith("-W %h:%p mlops@198.51.100.20")
    inner = shlex.split(outer["proxycommand"])
    assert inner[0] == "ssh"
    jump = ssh_config(inner[1:-3], inner[-1])
    assert jump["userknownhostsfile"] == known_hosts and jump["stricthostkeychecking"] == "true"
    assert jump["hostname"] == "198.51.100.20"


def test_without_a_public_db_host_the_private_hosts_are_reached_directly() -> None:
    doc = with_backup_host("immers")
    doc["hosts"]["value"]["db01"]["public_ip"] = None  # e.g. an admin on a VPN into the private network
    children = inventory_from_outputs(doc)["all"]["children"]
    assert "ansible_ssh_common_args" not in children["backup"]["hosts"]["bak01"]
    assert children["db"]["hosts"]["db01"]["ansible_host"] == "10.213.7.10"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["hosts"]["value"]["bak01"].update(private_ip="192.168.7.12"),
         "hosts.bak01.private_ip 192.168.7.12 is outside the private network 10.213.7.0/24"),
        (lambda d: d["hosts"]["value"]["db01"].update(private_ip="10.213.9.10"),
         "hosts.db01.private_ip 10.213.9.10 is outside the private network"),
        (lambda d: d.pop("private_cidr"), "output private_cidr missing"),
        (lambda d: d["private_cidr"].update(value="8.8.8.0/24"), "8.8.8.0/24 is not a private network"),
        (lambda d: d["private_cidr"].update(value="10.213.7.0/33"), "is not a network"),
    ],
)  # fmt: skip
def test_a_backup_host_off_the_private_network_is_refused(change, message: str, tmp_path: Path, capsys) -> None:
    doc = with_backup_host("selectel")
    change(doc)
    recorded = tmp_path / "outputs.json"
    recorded.write_text(json.dumps(doc))
    checkout = fake_checkout(tmp_path, "selectel")
    code = main(["--root", str(checkout), "infra", "inventory", "--cloud", "selectel", "--outputs", str(recorded)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not (checkout / "inventories").exists()


def broken(change) -> dict:
    doc = copy.deepcopy(outputs("selectel"))
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("hosts"), "output(s) hosts missing"),
        (lambda d: d["hosts"].pop("value"), "output hosts has no value"),
        (lambda d: d["hosts"].update(value={}), "output hosts must be a non-empty object"),
        (lambda d: d["hosts"]["value"]["db01"].update(private_ip="10.0.0.300"), "hosts.db01.private_ip"),
        (lambda d: d["hosts"]["value"]["db01"].update(groups=[]), "hosts.db01.groups must be a non-empty list"),
        (lambda d: d["hosts"]["value"]["db01"].update(gpu="yes"), "hosts.db01.gpu must be true or false"),
        (lambda d: d["hosts"]["value"].pop("air01"), "no host in group(s) airflow"),
        (lambda d: d["ssh_user"].update(value=""), "output ssh_user must be a user name"),
    ],
)
def test_malformed_outputs_are_refused_with_the_field_named(change, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inventory_from_outputs(broken(change))


def test_inventory_command_writes_the_file_with_the_group_vars_link(root: Path, tmp_path: Path, capsys) -> None:
    fake_root = fake_checkout(tmp_path, "immers")
    code = main(
        [
            "--root",
            str(fake_root),
            "infra",
            "inventory",
            "--cloud",
            "immers",
            "--outputs",
            str(FIXTURES / "terraform-output-immers.json"),
        ]
    )
    assert code == 0
    written = yaml.safe_load((fake_root / "inventories/immers/hosts.yml").read_text())
    assert written["all"]["children"]["db"]["hosts"]["db01"]["mlops_private_ip"] == "10.213.7.10"
    assert (fake_root / "inventories/immers/group_vars").readlink() == Path("../../group_vars")


def test_inventory_command_refuses_a_file_that_is_not_json(root: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "out.json"
    bad.write_text("Error: no state")
    assert main(["--root", str(root), "infra", "inventory", "--cloud", "selectel", "--outputs", str(bad)]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_apply_plans_to_a_file_and_applies_exactly_that_plan(root: Path) -> None:
    cmds = terraform_commands("terraform", cloud_dir(root, "selectel"), "apply")
    assert [c[2] for c in cmds] == ["init", "plan", "apply"]
    assert "-out=tfplan" in cmds[1] and cmds[2][-1] == "tfplan"
    assert "-auto-approve" in terraform_commands("terraform", cloud_dir(root, "immers"), "destroy", True)[1]


def test_remote_state_is_used_when_backend_files_are_there(tmp_path: Path) -> None:
    (tmp_path / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (tmp_path / "backend.hcl").write_text('bucket = "x"\n')
    init = terraform_commands("terraform", tmp_path, "plan")[0]
    assert init[-1] == "-backend-config=backend.hcl"


def test_unknown_cloud_and_missing_terraform_give_clear_errors(root: Path, monkeypatch, capsys) -> None:
    with pytest.raises(ConfigError, match="'aws' is not one of selectel, immers"):
        cloud_dir(root, "aws")
    monkeypatch.setattr("shutil.which", lambda _: None)
    assert main(["--root", str(root), "infra", "plan", "--cloud", "immers"]) == 2
    assert "terraform (1.9 or newer) is not on PATH" in capsys.readouterr().err


def test_written_inventory_is_read_by_ansible(tmp_path: Path) -> None:
    path = write_cloud_inventory(tmp_path, "selectel", inventory_from_outputs(outputs("selectel")))
    binary = Path(sys.executable).parent / "ansible-inventory"
    listed = json.loads(subprocess.run([str(binary), "-i", str(path), "--list"], capture_output=True, text=True).stdout)
    assert listed["_meta"]["hostvars"]["db01"]["ansible_host"] == "198.51.100.20"
    assert listed["db"]["hosts"] == ["db01"] and listed["airflow"]["hosts"] == ["air01"]


# A crafted or broken state file: every value that reaches the inventory is checked, none is templated by Ansible.
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["hosts"]["value"].update({"../../etc/passwd": d["hosts"]["value"].pop("db01")}), "host name"),
        (lambda d: d["hosts"]["value"].update({"-oProxyCommand=id": d["hosts"]["value"].pop("db01")}), "host name"),
        (lambda d: d["ssh_user"].update(value="{{ lookup('pipe', 'id') }}"), "output ssh_user"),
        (lambda d: d["ssh_user"].update(value="root\nansible_become_pass: x"), "output ssh_user"),
        (lambda d: d["hosts"]["value"]["db01"].update(groups=["db", "{{ lookup('pipe', 'id') }}"]), "group name"),
        (lambda d: d["hosts"]["value"]["db01"].update(public_ip="0.0.0.0"), "hosts.db01.public_ip"),
        (lambda d: d["hosts"]["value"]["db01"].update(private_ip="127.0.0.1"), "hosts.db01.private_ip"),
        (lambda d: d["hosts"]["value"]["db01"].update(private_ip="10.213.7.11"), "also air01's"),
        (lambda d: d["airflow_url"].update(value="https://{{ lookup('pipe', 'id') }}"), "output airflow_url"),
        (lambda d: d["airflow_url"].update(value="https://air01.example/\n"), "output airflow_url"),
        (lambda d: d["airflow_url"].update(value="https://user:pw@air01.example"), "output airflow_url"),
    ],
)
def test_crafted_outputs_are_refused_before_an_inventory_is_written(change, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        write_cloud_inventory(tmp_path, "selectel", inventory_from_outputs(broken(change)))
    assert not (tmp_path / "inventories").exists()


def ansible_var(
    inventory: Path, home: Path, host: str = "db01", var: str = "ansible_user"
) -> subprocess.CompletedProcess:
    """A real Ansible run on this machine (-c local) that prints one variable of a host as Ansible templates it."""
    (home / "ansible.cfg").write_text("[defaults]\n")
    ansible = Path(sys.executable).parent / "ansible"
    return subprocess.run(
        [str(ansible), host, "-i", str(inventory), "-c", "local", "-m", "ansible.builtin.debug", "-a", f"var={var}"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_CONFIG": str(home / "ansible.cfg"), "HOME": str(home)},
    )


def test_a_templated_value_never_reaches_a_real_ansible_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    lookup = f"{{{{ lookup('pipe', 'touch {marker}') }}}}"
    # What an unchecked inventory would do: Ansible templates the value and runs the command on the control node.
    unchecked = inventory_from_outputs(outputs("selectel"))
    unchecked["all"]["vars"]["ansible_user"] = lookup
    raw = tmp_path / "unchecked.yml"
    raw.write_text(yaml.safe_dump(unchecked))
    ansible_var(raw, tmp_path)
    assert marker.exists(), "the threat is real: the lookup ran"
    marker.unlink()
    with pytest.raises(ConfigError, match="output ssh_user"):
        inventory_from_outputs(broken(lambda d: d["ssh_user"].update(value=lookup)))
    path = write_cloud_inventory(tmp_path, "selectel", inventory_from_outputs(outputs("selectel")))
    done = ansible_var(path, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"ansible_user": "mlops"' in done.stdout
    assert not marker.exists()


def test_outputs_file_that_is_deep_binary_or_a_directory_is_one_error(root: Path, tmp_path: Path, capsys) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"ssh_user": {"value": "m\xe9"}}'.encode("latin-1"))
    for bad in (deep, latin, tmp_path, Path("/dev/zero")):
        code = main(["--root", str(root), "infra", "inventory", "--cloud", "selectel", "--outputs", str(bad)])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err


def test_the_inventory_is_never_written_through_a_link_or_into_a_file(tmp_path: Path) -> None:
    inventory = inventory_from_outputs(outputs("selectel"))
    target = tmp_path / "elsewhere"
    target.write_text("keep me\n")
    (tmp_path / "inventories/selectel").mkdir(parents=True)
    (tmp_path / "inventories/selectel/hosts.yml").symlink_to(target)
    with pytest.raises(ConfigError, match="is a link or not a file"):
        write_cloud_inventory(tmp_path, "selectel", inventory)
    assert target.read_text() == "keep me\n"
    (tmp_path / "inventories/immers").write_text("a file\n")
    with pytest.raises(ConfigError, match="is not a directory"):
        write_cloud_inventory(tmp_path, "immers", inventory)


# Whatever the outputs hold: a clear error, or an inventory of plain values, nothing else.
_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["db01", "air01", "bak01", "db", "airflow", "backup", "mlops", "10.213.7.10", "10.213.7.11", "10.213.7.12",
     "192.168.0.12", "10.213.7.0/24", "0.0.0.0", "https://a.example", "{{ x }}"]
)  # fmt: skip
_SCALAR = st.none() | st.booleans() | st.integers() | _TEXT
_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJmQBHjQ6YAGVA4P7FlYjUSR+HgnHQ3z3Nf6DWQciAQz"
_HOST = st.fixed_dictionaries(
    {
        "groups": st.lists(_TEXT, max_size=3) | _SCALAR,
        "gpu": st.booleans() | _SCALAR,
        "private_ip": _TEXT | _SCALAR,
        "ssh_host_key": st.just(_KEY) | _SCALAR,
    },
    optional={"public_ip": _TEXT | st.none()},
)
_OUTPUTS = st.fixed_dictionaries(
    {
        "cloud": st.fixed_dictionaries({"value": _TEXT}),
        "hosts": st.fixed_dictionaries({"value": st.dictionaries(_TEXT, _HOST, max_size=3)}) | _SCALAR,
        "ssh_user": st.fixed_dictionaries({"value": _TEXT | _SCALAR}),
    },
    optional={
        "airflow_url": st.fixed_dictionaries({"value": _TEXT}),
        "k8s_nodes_cidr": st.fixed_dictionaries({"value": _TEXT}),
        "private_cidr": st.fixed_dictionaries({"value": _TEXT | _SCALAR}),
    },
)
_PLAIN = re.compile(r"^[A-Za-z0-9_.:/~-]*$")
# The two host values that are not plain are made by mlopsctl around checked parts: a pinned key, the jump's options.
_KNOWN = r"-o UserKnownHostsFile=\{\{ inventory_dir \}\}/known_hosts -o StrictHostKeyChecking=yes"
_MADE = {
    "mlops_ssh_host_key": re.compile(r"^ssh-ed25519 [A-Za-z0-9+/]{68}$"),
    "ansible_ssh_common_args": re.compile(
        rf'^{_KNOWN} -o ProxyCommand="ssh {_KNOWN} -W %h:%p [a-z_][a-z0-9_-]*@[0-9a-f.:]+"$'
    ),
}


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            if key in _MADE:
                assert _MADE[key].match(item), item
            else:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


@settings(max_examples=400, deadline=None)
@given(_OUTPUTS)
def test_any_outputs_give_a_clear_error_or_an_inventory_of_plain_values(doc) -> None:
    try:
        inventory = inventory_from_outputs(doc)
    except ConfigError as exc:
        assert str(exc), "an error says what is wrong"
        return
    assert all(_PLAIN.match(text) for text in _strings(inventory["all"]["children"]))
    assert _PLAIN.match(inventory["all"]["vars"]["ansible_user"])


@settings(max_examples=300, deadline=None)
@given(private_ip=_TEXT | _SCALAR, jump=_TEXT | st.none(), cidr=_TEXT | _SCALAR)
def test_any_backup_host_address_gives_one_clear_line_or_a_host_on_the_private_network(private_ip, jump, cidr) -> None:
    doc = with_backup_host("selectel")
    doc["hosts"]["value"]["bak01"]["private_ip"] = private_ip
    doc["hosts"]["value"]["db01"]["public_ip"] = jump
    doc["private_cidr"]["value"] = cidr
    try:
        inventory = inventory_from_outputs(doc)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    children = inventory["all"]["children"]
    assert all(_PLAIN.match(text) for text in _strings(children))
    bak01 = children["backup"]["hosts"]["bak01"]
    assert ipaddress.ip_address(bak01["mlops_private_ip"]) in ipaddress.ip_network(cidr)
    # Through db01's public address when it has one; straight to the private address (a VPN) when it has none.
    assert ("ansible_ssh_common_args" in bak01) is (children["db"]["hosts"]["db01"]["ansible_host"] != "10.213.7.10")


def test_the_vms_host_keys_from_the_outputs_are_the_only_ones_ansible_accepts(tmp_path: Path) -> None:
    doc = outputs("selectel")
    path = write_cloud_inventory(tmp_path, "selectel", inventory_from_outputs(doc))
    lines = (path.parent / "known_hosts").read_text().splitlines()
    db01 = doc["hosts"]["value"]["db01"]
    assert f"{db01['private_ip']},{db01['public_ip']} {db01['ssh_host_key']}" in lines and len(lines) == 2
    args = yaml.safe_load(path.read_text())["all"]["vars"]["ansible_ssh_common_args"]
    assert "UserKnownHostsFile={{ inventory_dir }}/known_hosts" in args and "StrictHostKeyChecking=yes" in args
    for bad in ("ssh-rsa AAAA", "ssh-ed25519 AAAA\nx", None):
        with pytest.raises(ConfigError, match=re.escape("hosts.db01.ssh_host_key")):
            inventory_from_outputs(broken(lambda d, bad=bad: d["hosts"]["value"]["db01"].update(ssh_host_key=bad)))


# Airflow's Celery workers (#27): wrk01.. of terraform/<cloud>'s worker_count, private network only like bak01.
def with_workers(cloud: str, count: int = 2) -> dict:
    doc = with_backup_host(cloud)
    keys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0M2x3T8o0pV9f8kQ0tmVxq3G6b8m9D1u2oZ7rYw1Xa",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC1N3y4U9p1qW0g9lR1unWyr4H7c9n0E2v3pA8sZx2Yb",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID2O4z5V0q2rX1h0mS2voXzs5I8d0o1F3w4qB9tAy3Zc",
    ]
    for index in range(count):
        doc["hosts"]["value"][f"wrk{index + 1:02d}"] = {
            "flavor": "cpu.8.16.80",
            "gpu": False,
            "groups": ["airflow_workers"],
            "private_ip": f"10.213.7.{20 + index}",
            "public_ip": None,
            "ssh_host_key": keys[index],
        }
    return doc


@pytest.mark.parametrize("cloud", ["selectel", "immers"])
def test_workers_are_in_airflow_workers_and_reached_through_db01(cloud: str, tmp_path: Path) -> None:
    doc = with_workers(cloud)
    db01_public = doc["hosts"]["value"]["db01"]["public_ip"]
    path = write_cloud_inventory(tmp_path, cloud, inventory_from_outputs(doc))
    document = yaml.safe_load(path.read_text())["all"]
    written = document["children"]
    # The preflight checks the broker and every worker against it (group_vars/all.yml's mlops_private_network).
    assert document["vars"]["mlops_private_network"] == "10.213.7.0/24"
    workers = written["airflow_workers"]["hosts"]
    assert sorted(workers) == ["wrk01", "wrk02"]
    for name, address in (("wrk01", "10.213.7.20"), ("wrk02", "10.213.7.21")):
        assert workers[name]["ansible_host"] == workers[name]["mlops_private_ip"] == address
        assert workers[name]["ansible_ssh_common_args"].endswith(f'-W %h:%p mlops@{db01_public}"')
        assert "airflow_base_url" not in workers[name] and "postgresql_pg_strom" not in workers[name]
        key = doc["hosts"]["value"][name]["ssh_host_key"]
        assert f"{address} {key}\n" in (path.parent / "known_hosts").read_text()
    # The network reaches the hosts when site.yml runs: no group_vars file of the platform outranks it (an inventory's
    # `all` vars lose to every group_vars/all.yml, so the platform's may not set it).
    merged = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-inventory"),
            "-i",
            str(path),
            "--playbook-dir",
            str(ROOT),
            "--host",
            "wrk01",
        ],
        capture_output=True,
        text=True,
    )
    assert json.loads(merged.stdout)["mlops_private_network"] == "10.213.7.0/24", merged.stderr
    listed = json.loads(
        subprocess.run(
            [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
            capture_output=True,
            text=True,
        ).stdout
    )
    assert listed["airflow_workers"]["hosts"] == ["wrk01", "wrk02"] and listed["airflow"]["hosts"] == ["air01"]


def test_without_workers_the_airflow_workers_group_is_empty() -> None:
    assert inventory_from_outputs(with_workers("selectel", 0))["all"]["children"]["airflow_workers"] == {"hosts": {}}


def test_a_k8s_root_admits_its_workers_to_db01s_pg_hba_too() -> None:
    doc = outputs("selectel-k8s")
    doc["hosts"]["value"].update(
        {k: v for k, v in with_workers("selectel", 1)["hosts"]["value"].items() if k == "wrk01"}
    )
    doc["private_cidr"] = {"sensitive": False, "type": "string", "value": "10.213.7.0/24"}
    db01 = inventory_from_outputs(doc)["all"]["children"]["db"]["hosts"]["db01"]
    assert db01["mlops_airflow_client_cidrs"] == ["10.213.7.11/32", "10.213.7.20/32", "10.213.8.0/24"]


def _wrk(doc: dict, name: str = "wrk01") -> dict:
    return doc["hosts"]["value"][name]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _wrk(d).update(private_ip="192.168.7.20"),
         "hosts.wrk01.private_ip 192.168.7.20 is outside the private network 10.213.7.0/24"),
        (lambda d: _wrk(d).update(private_ip="10.213.7.11"), "hosts.wrk01.private_ip 10.213.7.11 is also air01's"),
        (lambda d: _wrk(d, "wrk02").update(private_ip="10.213.7.20"),
         "hosts.wrk02.private_ip 10.213.7.20 is also wrk01's"),
        (lambda d: _wrk(d).update(private_ip="10.213.7.300"), "hosts.wrk01.private_ip: '10.213.7.300' is not an IP"),
        (lambda d: d["hosts"]["value"].update({"WRK01": d["hosts"]["value"].pop("wrk02")}),
         "hosts.wrk01: the same host name as WRK01"),
        (lambda d: d["hosts"]["value"].update({"wrk01;id": d["hosts"]["value"].pop("wrk02")}), "not a valid host name"),
        (lambda d: _wrk(d).update(groups=["airflow workers"]), "'airflow workers' is not a valid group name"),
        (lambda d: _wrk(d).update(ssh_host_key=None), "hosts.wrk01.ssh_host_key"),
        (lambda d: d.pop("private_cidr"), "output private_cidr missing, and the hosts of airflow_workers, backup"),
    ],
)  # fmt: skip
def test_a_bad_worker_is_refused_in_one_line_before_anything_is_written(
    change, message: str, tmp_path: Path, capsys
) -> None:
    doc = with_workers("selectel")
    change(doc)
    recorded = tmp_path / "outputs.json"
    recorded.write_text(json.dumps(doc))
    checkout = fake_checkout(tmp_path, "selectel")
    code = main(["--root", str(checkout), "infra", "inventory", "--cloud", "selectel", "--outputs", str(recorded)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not (checkout / "inventories").exists()


def test_a_worker_named_twice_in_a_recorded_file_is_refused(tmp_path: Path, capsys) -> None:
    text = json.dumps(with_workers("selectel", 1), indent=1)
    wrk01 = json.dumps({"wrk01": _wrk(with_workers("selectel", 1))}, indent=1)[1:-2]
    # json.loads would keep the second wrk01 only: the file says two hosts, the inventory would get one.
    recorded = tmp_path / "outputs.json"
    recorded.write_text(text.replace('"wrk01": {', wrk01.strip() + ',\n"wrk01": {', 1))
    assert recorded.read_text().count('"wrk01"') == 2
    checkout = fake_checkout(tmp_path, "selectel")
    code = main(["--root", str(checkout), "infra", "inventory", "--cloud", "selectel", "--outputs", str(recorded)])
    err = capsys.readouterr().err
    assert code == 2 and "key 'wrk01' appears twice in one object" in err and err.count("\n") == 1, err
    assert not (checkout / "inventories").exists()
