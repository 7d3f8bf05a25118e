"""mlopsctl infra: the Terraform calls it makes, and the inventory it writes from `terraform output -json`
documents recorded by hand from the outputs.tf contract (no cloud is reachable from here)."""

from __future__ import annotations

import copy
import json
import re
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


def outputs(cloud: str) -> dict:
    return json.loads((FIXTURES / f"terraform-output-{cloud}.json").read_text())


@pytest.mark.parametrize("cloud", ["selectel", "immers"])
def test_inventory_has_the_local_shape_with_public_addresses(cloud: str) -> None:
    inventory = inventory_from_outputs(outputs(cloud))
    children = inventory["all"]["children"]
    assert set(children) == {"db", "airflow"}
    db01 = children["db"]["hosts"]["db01"]
    assert db01["mlops_private_ip"] == "10.213.7.10"
    assert db01["ansible_host"].startswith(("198.51.100.", "203.0.113."))
    assert db01["postgresql_pg_strom"] is True  # a GPU flavor makes pg_strom required, not best effort
    assert "postgresql_pg_strom" not in children["airflow"]["hosts"]["air01"]
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
    fake_root = tmp_path / "checkout"
    for name in ("site.yml", "ansible.cfg"):
        (fake_root / name).parent.mkdir(parents=True, exist_ok=True)
        (fake_root / name).write_text("")
    (fake_root / "terraform/immers").mkdir(parents=True)
    (fake_root / "terraform/immers/main.tf").write_text("")
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


def ansible_user_of_db01(inventory: Path, home: Path) -> subprocess.CompletedProcess:
    """A real Ansible run on this machine (-c local) that reads the inventory's ansible_user for db01."""
    (home / "ansible.cfg").write_text("[defaults]\n")
    ansible = Path(sys.executable).parent / "ansible"
    return subprocess.run(
        [
            str(ansible),
            "db01",
            "-i",
            str(inventory),
            "-c",
            "local",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "var=ansible_user",
        ],
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
    ansible_user_of_db01(raw, tmp_path)
    assert marker.exists(), "the threat is real: the lookup ran"
    marker.unlink()
    with pytest.raises(ConfigError, match="output ssh_user"):
        inventory_from_outputs(broken(lambda d: d["ssh_user"].update(value=lookup)))
    path = write_cloud_inventory(tmp_path, "selectel", inventory_from_outputs(outputs("selectel")))
    done = ansible_user_of_db01(path, tmp_path)
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
    ["db01", "air01", "db", "airflow", "mlops", "10.213.7.10", "10.213.7.11", "0.0.0.0", "https://a.example", "{{ x }}"]
)
_SCALAR = st.none() | st.booleans() | st.integers() | _TEXT
_HOST = st.fixed_dictionaries(
    {
        "groups": st.lists(_TEXT, max_size=3) | _SCALAR,
        "gpu": st.booleans() | _SCALAR,
        "private_ip": _TEXT | _SCALAR,
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
    },
)
_PLAIN = re.compile(r"^[A-Za-z0-9_.:/~-]*$")


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
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
