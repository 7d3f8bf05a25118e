"""prometheus_rule_problems as the monitoring role's preflight uses it: a rule file's text, by its full name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.datatech.mlops.plugins.filter.monitoring import prometheus_rule_problems, prometheus_seconds

SCENARIO_FILES = Path(__file__).resolve().parents[4] / "roles/monitoring/molecule/monitoring/files"

GOOD = """
groups:
  - name: team
    interval: 1m
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 1h30m
        keep_firing_for: 5m
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.instance }} is down"}
"""


def render(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template("{{ " + expression + " }}"))


def test_a_well_formed_file_has_no_problem_through_ansible() -> None:
    assert render("text | datatech.mlops.prometheus_rule_problems('team.yml')", text=GOOD) == []


def test_the_scenarios_broken_file_is_refused_naming_file_group_and_rule() -> None:
    text = (SCENARIO_FILES / "broken.rules.yml").read_text()
    assert prometheus_rule_problems(text, "broken.rules.yml") == [
        "broken.rules.yml: group team rule 1 (alert Broken) has no expr"
    ]


def test_the_scenarios_team_file_is_accepted() -> None:
    assert prometheus_rule_problems((SCENARIO_FILES / "team.rules.yml").read_text(), "team.rules.yml") == []


def test_the_scenarios_promql_error_is_left_to_promtool() -> None:
    # Well-formed groups: only promtool on the monitoring host can tell the expression does not compile.
    assert prometheus_rule_problems((SCENARIO_FILES / "bad_promql.rules.yml").read_text(), "x") == []


def test_yaml_that_does_not_parse_says_where() -> None:
    (problem,) = prometheus_rule_problems("groups:\n  - name: a\n   rules: [\n", "team.yml")
    assert problem.startswith("team.yml is not valid YAML at line 3")


@pytest.mark.parametrize("text", ["", "[]", "groups: {}", "groups: []", "rules: []"])
def test_a_file_without_rule_groups_is_refused(text: str) -> None:
    assert prometheus_rule_problems(text, "f.yml") == ["f.yml has no list of rule groups (a top-level groups: key)"]


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"expr": "up"}, "f.yml: group g rule 1 needs exactly one of alert or record"),
        ({"alert": "A", "record": "b", "expr": "up"}, "f.yml: group g rule 1 needs exactly one of alert or record"),
        ({"alert": "A", "expr": "  "}, "f.yml: group g rule 1 (alert A) has no expr"),
        ({"alert": "A", "expr": "up", "for": "5 minutes"}, "for '5 minutes' is not a duration"),
        ({"alert": "A", "expr": "up", "for": "5s1m"}, "for '5s1m' is not a duration"),
        ({"alert": "A", "expr": "up", "for": ""}, "for '' is not a duration"),
        ({"record": "a:b", "expr": "up", "for": "5m"}, "(record a:b): for '5m' is not a duration"),
        ({"record": "not-a-metric", "expr": "up"}, "'not-a-metric' is not a valid metric name"),
        ({"record": "a", "expr": "up", "annotations": {"x": "y"}}, "a recording rule takes no annotations"),
        ({"alert": "A", "expr": "up", "labels": ["severity"]}, "labels must map names to strings"),
        ({"alert": "A", "expr": "up", "labels": {"bad-name": "x"}}, "labels has a name that is not a valid label"),
        ({"alert": "A", "expr": "up", "annotation": {}}, "f.yml: group g rule 1 has unknown key annotation"),
        ("up == 0", "f.yml: group g rule 1 is not a mapping"),
    ],
)
def test_each_broken_rule_is_named(rule: object, problem: str) -> None:
    problems = prometheus_rule_problems(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}), "f.yml")
    assert len(problems) == 1 and problem in problems[0], problems


def test_group_problems_are_each_named() -> None:
    text = """
groups:
  - name: g
    rules: [{alert: A, expr: up}]
  - name: g
    interval: often
    rules: [{alert: A, expr: up}]
  - rules: []
  - name: empty
    rules: []
"""
    assert prometheus_rule_problems(text, "f.yml") == [
        "f.yml: group g appears twice (group names are unique in a file)",
        "f.yml: group g: interval 'often' is not a duration such as 1m",
        "f.yml: group 3 has no name",
        "f.yml: group empty has no rules",
    ]


@pytest.mark.parametrize(
    ("duration", "seconds"), [("90s", 90), ("1h30m", 5400), ("8d", 691200), ("1w", 604800), ("1500ms", 1)]
)
def test_prometheus_seconds(duration: str, seconds: int) -> None:
    assert prometheus_seconds(duration) == seconds


@pytest.mark.parametrize("duration", ["", "8 days", "1m1h", "-5m", "10"])
def test_prometheus_seconds_refuses_what_is_not_a_duration(duration: str) -> None:
    with pytest.raises(ValueError, match="is not a Prometheus duration"):
        prometheus_seconds(duration)
