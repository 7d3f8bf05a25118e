"""The postgresql filters as templates use them: by their full names, through Ansible's templating."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template


def render(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template("{{ " + expression + " }}"))


def test_tuning_of_a_4_gb_4_cpu_host():
    tuned = render("memory | datatech.mlops.pg_tuning(4)", memory=4096)
    assert tuned["shared_buffers"] == "1024MB"
    assert tuned["effective_cache_size"] == "3072MB"
    assert tuned["max_parallel_workers"] == 4


def test_tuning_refuses_a_host_too_small_to_tune_for():
    with pytest.raises(AnsibleError, match="too little memory"):
        render("128 | datatech.mlops.pg_tuning(1)")


def test_preload_merge_keeps_order_adds_once_and_removes():
    merged = render(
        "current | datatech.mlops.pg_preload_merge(add=['$libdir/pg_strom'], remove=['auto_explain'])",
        current="pg_stat_statements, auto_explain, pg_strom",
    )
    assert merged == "pg_stat_statements,pg_strom"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(True, "on"), (False, "off"), (64, "64"), ("it's", "'it''s'"), (["a", "b"], "'a,b'")],
)
def test_conf_values_are_rendered_for_postgresql_conf(value, rendered):
    assert render("value | datatech.mlops.pg_conf_value", value=value) == rendered


def test_fill_defaults_fills_only_what_is_missing():
    items = [{"name": "a", "state": "absent"}, {"name": "b"}]
    filled = render("items | datatech.mlops.fill_defaults({'state': 'present'})", items=items)
    assert filled == [{"name": "a", "state": "absent"}, {"name": "b", "state": "present"}]
