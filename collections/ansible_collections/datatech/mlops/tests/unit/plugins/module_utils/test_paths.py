"""Path variables: absolute, the role's own, one line; a typo never points a role at / or /etc."""

from __future__ import annotations

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.paths import (
    certificate_problems,
    path_problem,
    path_problems,
)


@pytest.mark.parametrize("value", ["/var/lib/pgbackrest", "/srv/pgdata/main", "/opt/airflow", "/srv//x/"])
def test_a_directory_of_the_roles_own_is_fine(value):
    assert path_problem("pgbackrest_repo_path", value) == ""


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("/", "is a system directory"),
        ("//", "is a system directory"),
        ("/etc/", "is a system directory"),
        ("/var/lib", "is a system directory"),
        ("var/lib/pgbackrest", "must be an absolute path (it starts with /)"),
        ("/srv/../etc", "must not have . or .. parts"),
        ("/srv/./x", "must not have . or .. parts"),
        ("/srv/x\n/etc", "line break or NUL"),
        ("", "must be an absolute path, not ''"),
        (["/srv"], "must be an absolute path, not ['/srv']"),
        (None, "must be an absolute path"),
    ],
)
def test_a_path_a_role_must_not_take_is_named_with_what_to_do(value, words):
    problem = path_problem("pgbackrest_repo_path", value)
    assert problem.startswith("pgbackrest_repo_path") and words in problem


def test_problems_of_many_paths_in_one_list():
    assert path_problems(
        {"airflow_home": "/var/lib/airflow", "airflow_venv": "opt/airflow", "airflow_config_dir": "/etc"}
    ) == [
        "airflow_venv 'opt/airflow' must be an absolute path (it starts with /)",
        "airflow_config_dir '/etc' is a system directory: give the role a directory of its own (e.g. /etc/NAME)",
    ]


@pytest.mark.parametrize(
    ("names", "valid", "renew", "words"),
    [
        ([], 397, 30, "must list DNS names"),
        (["db01", "a b"], 397, 30, "must list DNS names"),
        (["db01\nx"], 397, 30, "must list DNS names"),
        ("db01", 397, 30, "must list DNS names"),
        (["db01"], -1, 30, "must be more than"),
        (["db01"], 30, 30, "must be more than"),
        (["db01"], 397, -1, "must be more than"),
        (["db01"], "x", 30, "must be more than"),
    ],
)
def test_a_certificate_it_cannot_make_is_refused(names, valid, renew, words):
    assert any(words in line for line in certificate_problems(names, valid, renew))


def test_a_certificate_for_names_and_a_validity_is_fine():
    assert certificate_problems(["db01", "10.0.0.10", "localhost"], 397, 30) == []
