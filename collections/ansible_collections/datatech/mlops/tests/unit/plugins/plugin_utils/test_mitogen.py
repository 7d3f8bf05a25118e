"""The strategies datatech.mlops.linear and .free: Mitogen's mixin when it imports, the builtin strategy otherwise."""

from __future__ import annotations

import builtins
from types import SimpleNamespace

import pytest
from ansible.plugins.loader import strategy_loader
from ansible_collections.datatech.mlops.plugins.plugin_utils import mitogen


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
    play = SimpleNamespace(strategy=f"datatech.mlops.{builtin}")
    assert cls.run(object.__new__(cls), SimpleNamespace(_play=play), None) == 0
    assert "Mitogen is not installed" in warnings[0] and "make venv" in warnings[0]
    # Ansible's output callback then prints a free play's results under the task that produced them.
    assert play.strategy == f"ansible.builtin.{builtin}"


@pytest.mark.parametrize(("value", "ruled_out"), [("1", True), ("yes", True), ("0", False), ("false", False)])
@pytest.mark.parametrize("builtin", ["linear", "free"])
def test_mitogen_can_be_ruled_out_for_one_run(monkeypatch, builtin, value, ruled_out):
    from ansible_mitogen import strategy  # tests/unit/requirements.txt installs it

    monkeypatch.setenv(mitogen.DISABLE_ENV, value)
    cls = mitogen.strategy_class(builtin)
    assert issubclass(cls, strategy_loader.get(builtin, class_only=True))
    assert issubclass(cls, strategy.StrategyMixin) is not ruled_out


@pytest.mark.parametrize("builtin", ["linear", "free"])
def test_with_mitogen_its_mixin_runs_the_builtin_strategy_unpinned(monkeypatch, builtin):
    from ansible_mitogen import affinity, connection, strategy  # tests/unit/requirements.txt installs it

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
