"""The checkout's opt-in to Mitogen, strategies mlops_linear and mlops_free (tools/ansible, not the collection):
Mitogen's mixin when it imports, the builtin strategy otherwise; what names them, and that nothing shipped does."""

from __future__ import annotations

import builtins
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import ansible.plugins.strategy
import ansible_mitogen
import pytest
import yaml
from ansible.plugins.loader import strategy_loader
from conftest import COLLECTION, ROOT

sys.path.insert(0, str(ROOT / "tools/ansible"))
import mlops_mitogen as mitogen

STRATEGIES = ROOT / "tools/ansible/strategy"
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("builtin", ["linear", "free"])
def test_without_mitogen_the_builtin_strategy_runs_with_a_warning(monkeypatch, builtin):
    real_import = builtins.__import__

    def no_mitogen(name, *args, **kwargs):
        if name.startswith("ansible_mitogen"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    warnings = []
    monkeypatch.delenv(mitogen.DISABLE_ENV, raising=False)
    monkeypatch.setattr(builtins, "__import__", no_mitogen)
    monkeypatch.setattr(mitogen.Display, "warning", lambda self, msg: warnings.append(msg))
    base = strategy_loader.get(builtin, class_only=True)
    monkeypatch.setattr(base, "run", lambda self, iterator, play_context: 0)
    cls = mitogen.strategy_class(builtin)
    assert cls.__mro__[1] is base and not warnings
    play = SimpleNamespace(strategy=f"mlops_{builtin}")
    assert cls.run(object.__new__(cls), SimpleNamespace(_play=play), None) == 0
    assert "Mitogen is not installed" in warnings[0] and "make venv" in warnings[0]
    # Ansible's output callback then prints a free play's results under the task that produced them.
    assert play.strategy == f"ansible.builtin.{builtin}"


@pytest.mark.parametrize(("value", "ruled_out"), [("1", True), ("yes", True), ("0", False), ("false", False)])
@pytest.mark.parametrize("builtin", ["linear", "free"])
def test_mitogen_can_be_ruled_out_for_one_run(monkeypatch, builtin, value, ruled_out):
    from ansible_mitogen import strategy  # requirements.lock pins it

    monkeypatch.setenv(mitogen.DISABLE_ENV, value)
    cls = mitogen.strategy_class(builtin)
    assert issubclass(cls, strategy_loader.get(builtin, class_only=True))
    assert issubclass(cls, strategy.StrategyMixin) is not ruled_out


@pytest.mark.parametrize("builtin", ["linear", "free"])
def test_with_mitogen_its_mixin_runs_the_builtin_strategy_unpinned(monkeypatch, builtin):
    from ansible_mitogen import affinity, connection, strategy  # requirements.lock pins it

    sent = []
    monkeypatch.delenv(mitogen.DISABLE_ENV, raising=False)
    monkeypatch.setattr(affinity, "policy", affinity.LinuxPolicy())
    monkeypatch.setattr(
        connection.Connection,
        "exec_command",
        lambda self, cmd, in_data, sudoable, mitogen_chdir: sent.append(mitogen_chdir),
    )
    cls = mitogen.strategy_class(builtin)
    assert cls.__mro__[2:4] == (strategy.StrategyMixin, strategy_loader.get(builtin, class_only=True))
    assert affinity.policy.__class__ is affinity.Policy
    connection.Connection.exec_command(None, "true", mitogen_chdir=Tagged("/opt/airflow"))
    assert sent == ["/opt/airflow"] and sent[0].__class__ is str


class Tagged(str):
    """Stands for ansible-core's tagged strings, which Mitogen's host side cannot unpickle."""


def run_ansible(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """An Ansible command with the checkout's ansible.cfg, as a person in the checkout runs it."""
    full = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", **env}
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, env=full, cwd=ROOT)


def test_the_checkouts_ansible_cfg_finds_both_strategies_and_none_shadows_a_builtin() -> None:
    builtin_names = {p.stem for p in Path(ansible.plugins.strategy.__file__).parent.glob("*.py")}
    ours = {p.stem for p in STRATEGIES.glob("*.py")}
    assert ours == {"mlops_linear", "mlops_free"} and not ours & builtin_names
    listed = run_ansible("ansible-doc", "-t", "strategy", "-l")
    assert listed.returncode == 0, listed.stderr
    assert {"ansible.legacy.mlops_linear", "ansible.legacy.mlops_free", "ansible.builtin.free"} <= set(
        re.findall(r"^(\S+)\s", listed.stdout, re.M)
    )
    doc = run_ansible("ansible-doc", "-t", "strategy", "mlops_free")
    assert doc.returncode == 0 and "MLOPS_NO_MITOGEN" in doc.stdout, doc.stderr


def foundation_strategy() -> str:
    plays = yaml.safe_load((ROOT / "playbooks/foundation.yml").read_text())
    return next(play["strategy"] for play in plays if "strategy" in play)


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        (None, "mlops_free"),  # the checkout's ansible.cfg: mlops_linear
        ("linear", "free"),
        ("ansible.builtin.linear", "ansible.builtin.free"),
        ("mitogen_linear", "mitogen_free"),
    ],
)
def test_the_foundation_play_runs_the_free_sibling_of_the_configured_strategy(
    tmp_path: Path, default: str | None, expected: str
) -> None:
    # Ansible templates a play's strategy when the play starts: an unknown name is refused by the name it renders to.
    play = [{"name": "Strategy", "hosts": "localhost", "gather_facts": False, "strategy": foundation_strategy()}]
    play[0]["tasks"] = [{"name": "Nothing", "ansible.builtin.meta": "noop"}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    run = ("ansible-playbook", "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml"))
    refused = run_ansible(*run, ANSIBLE_STRATEGY=f"x{default or 'mlops_linear'}")
    assert f"Invalid play strategy specified: x{expected}" in refused.stdout + refused.stderr
    env = {"ANSIBLE_STRATEGY": default} if default else {}
    if default == "mitogen_linear":  # Mitogen's own strategies, as its documentation enables them
        env["ANSIBLE_STRATEGY_PLUGINS"] = str(Path(ansible_mitogen.__file__).parent / "plugins/strategy")
    ran = run_ansible(*run, **env)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    # Only a strategy outside ansible.builtin draws ansible-core's deprecation warning.
    assert ("strategy plugins not included in ansible.builtin" in ran.stderr) is expected.startswith("m")


def test_nothing_the_collection_ships_is_a_strategy_or_imports_mitogen() -> None:
    assert not (COLLECTION / "plugins/strategy").exists()
    for path in COLLECTION.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yml") and "output" not in path.relative_to(COLLECTION).parts:
            text = path.read_text()
            assert not re.search(r"^\s*(import|from) (ansible_)?mitogen\b", text, re.M), path
            assert not re.search(r"^\s*strategy:", text, re.M), path
    for path in [ROOT / "site.yml", *(ROOT / "playbooks").glob("*.yml")]:
        for play in yaml.safe_load(path.read_text()) or []:
            assert play.get("strategy") in (None, foundation_strategy()), path
