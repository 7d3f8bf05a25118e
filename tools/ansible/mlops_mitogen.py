"""The checkout's opt-in to Mitogen (not part of the collection): a builtin strategy run through Mitogen when the
control node has it, else the builtin strategy itself. The strategy plugins tools/ansible/strategy/mlops_linear.py and
mlops_free.py are made from it; the checkout's ansible.cfg and molecule's base config name them."""

from __future__ import annotations

import os

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

# Set to 1 to rule Mitogen out when a run misbehaves: the same play then runs on Ansible's own SSH transport.
DISABLE_ENV = "MLOPS_NO_MITOGEN"


def strategy_class(builtin: str) -> type:
    """The builtin strategy class `builtin`, with Mitogen's mixin in front of it when Mitogen can be imported."""
    # The short name is the builtin one: no strategy of the checkout is named linear or free (none shadows a builtin).
    base = strategy_loader.get(builtin, class_only=True)
    if boolean(os.environ.get(DISABLE_ENV) or "0", strict=False):
        return _as_builtin(builtin, base, warn=False)
    try:
        import ansible_mitogen.affinity
        import ansible_mitogen.connection
        import ansible_mitogen.strategy
        import ansible_mitogen.utils.unsafe
    except ImportError:
        return _as_builtin(builtin, base, warn=True)
    # Mitogen pins the controller and all workers to one CPU below 4 CPUs; unpinned, a 2-CPU no-op run is 9 % faster.
    ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()
    _cast_chdir(ansible_mitogen.connection.Connection, ansible_mitogen.utils.unsafe.cast)
    return _as_builtin(builtin, type("MitogenStrategy", (ansible_mitogen.strategy.StrategyMixin, base), {}), warn=False)


def _as_builtin(builtin: str, strategy: type, warn: bool) -> type:
    """`strategy` with a run that names the play's strategy as the builtin one, and warns first if asked to."""

    def run(self, iterator, play_context, *args, **kwargs):
        if warn:
            Display().warning(
                f"Mitogen is not installed on this control node: the {builtin} strategy runs on Ansible's own SSH "
                "transport (about twice as slow). `make venv` installs it from requirements.lock."
            )
        # Ansible's output callback prints a free play's results under their own tasks only for a builtin name.
        iterator._play.strategy = f"ansible.builtin.{builtin}"
        return strategy.run(self, iterator, play_context, *args, **kwargs)

    return type("StrategyModule", (strategy,), {"run": run})


def _cast_chdir(connection: type, cast) -> None:
    """Mitogen 0.3.54 sends `script`'s chdir as a tagged string of ansible-core 2.19 that the host cannot unpickle."""
    exec_command = connection.exec_command
    if getattr(exec_command, "_mlops_casts_chdir", False):
        return

    def exec_command_with_plain_chdir(self, cmd, in_data="", sudoable=True, mitogen_chdir=None):
        return exec_command(self, cmd, in_data, sudoable, mitogen_chdir=cast(mitogen_chdir))

    exec_command_with_plain_chdir._mlops_casts_chdir = True
    connection.exec_command = exec_command_with_plain_chdir
