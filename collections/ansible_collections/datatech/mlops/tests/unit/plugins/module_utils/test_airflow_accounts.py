"""The airflow role's accounts: defaults, the checks before any change, and the record's stable document."""

from __future__ import annotations

import json

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.airflow_accounts import (
    accounts,
    document,
    problems,
    simple_passwords,
)

ANN = {"name": "ann", "email": "ann@example.org", "role": "Viewer", "password": "p1"}


def test_the_admin_comes_first_and_users_get_their_defaults():
    made = accounts("admin", "admin@localhost", "s3cret", [ANN, {**ANN, "name": "bob", "last_name": "Smith"}])
    assert [a["name"] for a in made] == ["admin", "ann", "bob"]
    assert made[0]["role"] == "Admin" and made[0]["password"] == "s3cret"
    assert (made[1]["first_name"], made[1]["last_name"], made[1]["state"]) == ("ann", "User", "present")
    assert made[2]["last_name"] == "Smith" and made[1]["update_password"] == "always"


@pytest.mark.parametrize(
    ("users", "roles", "manager", "words"),
    [
        ([{**ANN, "name": "admin"}], {}, "fab", "account names must be unique (the admin included): admin"),
        ([ANN, {**ANN, "name": "bob", "email": "ANN@example.org"}], {}, "fab", "a different email per account"),
        ([{**ANN, "password": ""}], {}, "fab", "present accounts need a password: ann"),
        ([{k: v for k, v in ANN.items() if k != "password"}], {}, "fab", "need a password: ann"),
        ([{**ANN, "role": "Deployer"}], {}, "fab", "unknown: Deployer"),
        ([{**ANN, "role": "Deployer"}], {"Deployer": {}}, "simple", "unknown: Deployer"),
    ],
)
def test_what_cannot_be_set_is_named(users, roles, manager, words):
    found = problems(accounts("admin", "admin@localhost", "x", users), roles, manager)
    assert any(words in line for line in found), found


def test_fitting_accounts_have_no_problems_and_absent_ones_need_no_password():
    gone = {"name": "old", "email": "old@example.org", "role": "Viewer", "state": "absent"}
    made = accounts(
        "admin", "admin@localhost", "x", [ANN, {**ANN, "name": "dep", "email": "d@x", "role": "Deployer"}, gone]
    )
    assert problems(made, {"Deployer": {"DAGs": ["can_read"]}}, "fab") == []
    # The simple auth manager knows its roles in any case, and a second account may share an email there.
    assert problems(accounts("admin", "a@x", "x", [{**ANN, "role": "viewer", "email": "a@x"}]), {}, "simple") == []
    assert simple_passwords(made) == {"admin": "x", "ann": "p1", "dep": "p1"}


def test_the_document_is_stable_whatever_the_order_of_keys():
    one = document(accounts("admin", "a@x", "x", [ANN]), {"R": {"DAGs": ["can_read"]}})
    two = document(accounts("admin", "a@x", "x", [dict(reversed(list(ANN.items())))]), {"R": {"DAGs": ["can_read"]}})
    assert one == two and json.loads(one)["users"][1]["name"] == "ann"
