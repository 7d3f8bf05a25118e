"""The deploy account DAG deploys log in as: a user name of its own and authorized_keys lines that add nothing else."""

from __future__ import annotations

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.deploy_account import key_problem, problems

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIi9oM1EckttbTp/bfIh+wMEgoRyS//2Nn6OIMZL41Ge ci@gitlab"
RESERVED = ["root", "airflow", "airflow-task"]


def test_a_user_with_one_key_is_usable():
    assert problems("mlops-deploy", [ED25519], RESERVED) == []
    assert key_problem(ED25519.rsplit(" ", 1)[0]) is None


def test_no_key_means_no_account_whatever_the_name():
    assert problems("", [], RESERVED) == []


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ('command="id" ' + ED25519, "does not start with a key type"),
        ("ssh-ed25519", "does not start with a key type"),
        (ED25519 + "\nssh-ed25519 AAAA other", "line break or a control character"),
        ("ssh-ed25519 not*base64 x", "not base64"),
        ("ssh-rsa " + ED25519.split()[1], "not a ssh-rsa key"),
        (42, "is not a string"),
    ],
)
def test_a_key_that_would_add_options_lines_or_another_type_is_refused(key, why):
    found = problems("mlops-deploy", [key], RESERVED)
    assert len(found) == 1 and why in found[0], found


@pytest.mark.parametrize("user", ["root", "airflow", "airflow-task", "Deploy", "deploy\n", "-oProxyCommand", 7])
def test_the_deploy_user_is_a_plain_name_of_its_own(user):
    found = problems(user, [ED25519], RESERVED)
    assert len(found) == 1 and "airflow_deploy_user" in found[0], found


def test_keys_must_be_a_list():
    assert "must be a list" in problems("mlops-deploy", ED25519, RESERVED)[0]
