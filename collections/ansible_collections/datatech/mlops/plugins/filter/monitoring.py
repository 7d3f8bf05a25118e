"""Filters of the monitoring role: a Prometheus rule file is checked on the control node before anything changes.

promtool (on the monitoring host, when the file is written) checks the PromQL itself; this check runs first, before
any package is installed, and names the file and the rule at fault in one line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# Prometheus's duration syntax (model.ParseDuration): units largest first, each at most once, at least one.
DURATION = re.compile(r"^(?!$)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
# What Prometheus accepts as a metric or label name (a recording rule's name, a label's key).
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
GROUP_KEYS = {"name", "interval", "rules", "limit", "query_offset", "labels"}
RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


def _rule_problems(rule: Any, where: str) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{where} is not a mapping"]
    found = [f"{where} has unknown key {key}" for key in sorted(set(map(str, rule)) - RULE_KEYS)]
    kinds = [key for key in ("alert", "record") if key in rule]
    if len(kinds) != 1:
        return [*found, f"{where} needs exactly one of alert or record"]
    name = rule[kinds[0]]
    where = f"{where} ({kinds[0]} {name})"
    if not isinstance(name, str) or not name.strip():
        found.append(f"{where} has an empty name")
    elif kinds[0] == "record" and not METRIC_NAME.match(name):
        found.append(f"{where}: {name!r} is not a valid metric name")
    expr = rule.get("expr")
    if not isinstance(expr, (str, int, float)) or isinstance(expr, bool) or not str(expr).strip():
        found.append(f"{where} has no expr")
    for key in ("for", "keep_firing_for"):
        if key in rule and (kinds[0] == "record" or not DURATION.match(str(rule[key]))):
            found.append(f"{where}: {key} {rule[key]!r} is not a duration such as 5m (alerts only)")
    for key in ("labels", "annotations"):
        value = rule.get(key, {})
        if key == "annotations" and kinds[0] == "record" and value:
            found.append(f"{where}: a recording rule takes no annotations")
        if not isinstance(value, dict) or not all(isinstance(v, (str, int, float)) for v in value.values()):
            found.append(f"{where}: {key} must map names to strings")
        elif not all(isinstance(k, str) and LABEL_NAME.match(k) for k in value):
            found.append(f"{where}: {key} has a name that is not a valid label name")
    return found


def prometheus_rule_problems(text: str, name: str = "rule file") -> list[str]:
    """What keeps Prometheus from loading this rule file, one line per problem; empty when it is well formed."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return [f"{name} is not valid YAML{at}: {problem}"]
    if not isinstance(document, dict) or not isinstance(document.get("groups"), list) or not document["groups"]:
        return [f"{name} has no list of rule groups (a top-level groups: key)"]
    found: list[str] = []
    seen: set[str] = set()
    for index, group in enumerate(document["groups"], start=1):
        if not isinstance(group, dict) or not isinstance(group.get("name"), str) or not group["name"].strip():
            found.append(f"{name}: group {index} has no name")
            continue
        where = f"{name}: group {group['name']}"
        if group["name"] in seen:
            found.append(f"{where} appears twice (group names are unique in a file)")
        seen.add(group["name"])
        found += [f"{where} has unknown key {key}" for key in sorted(set(map(str, group)) - GROUP_KEYS)]
        if "interval" in group and not DURATION.match(str(group["interval"])):
            found.append(f"{where}: interval {group['interval']!r} is not a duration such as 1m")
        rules = group.get("rules")
        if not isinstance(rules, list) or not rules:
            found.append(f"{where} has no rules")
            continue
        for number, rule in enumerate(rules, start=1):
            found += _rule_problems(rule, f"{where} rule {number}")
    return found


UNIT_SECONDS = {"y": 31536000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def prometheus_seconds(duration: str) -> int:
    """Seconds of a Prometheus duration (8d, 1h30m), rounded down, for PromQL comparing a timestamp's age; a value
    that is not a duration raises, naming it."""
    text = str(duration)
    if not DURATION.match(text):
        raise ValueError(f"{text!r} is not a Prometheus duration (such as 90s, 30m, 8d)")
    parts = re.findall(r"(\d+)(ms|[ywdhms])", text)
    return int(sum(int(count) * UNIT_SECONDS[unit] for count, unit in parts))


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"prometheus_rule_problems": prometheus_rule_problems, "prometheus_seconds": prometheus_seconds}
