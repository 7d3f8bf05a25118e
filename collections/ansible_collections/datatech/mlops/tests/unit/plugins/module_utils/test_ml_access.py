"""Personal database accounts of ML staff: the checks of the inputs and what the postgresql role is given."""

from __future__ import annotations

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.ml_access import db_access, problems

ANNA = {"name": "anna", "team": "vision"}
BORIS = {"name": "boris", "team": "vision"}
CIDRS = ["10.8.0.0/24"]


def access(users, **kwargs):
    passwords = {user["name"]: f"pw-{user['name']}" for user in users}
    args = {
        "database": "dwh",
        "owner": "dwh",
        "read_schemas": ["ml"],
        "reader_role": "dwh_read",
        "client_cidrs": CIDRS,
        **kwargs,
    }
    return db_access(users, passwords, **args)


def test_valid_users_and_networks_have_no_problems():
    assert problems([ANNA, BORIS, {"name": "carl_2", "password": "x" * 16}], CIDRS, ["dwh", "airflow"]) == []
    assert problems([], []) == []


@pytest.mark.parametrize(
    ("users", "cidrs", "words"),
    [
        ("anna", CIDRS, "must be a list of {name, team} mappings"),
        (["anna"], CIDRS, "mlops_ml_users[0] must be a mapping"),
        ([{"name": "Anna"}], CIDRS, "'Anna' is not a lowercase name"),
        ([{"name": "anna; DROP ROLE dwh"}], CIDRS, "is not a lowercase name"),
        ([{"name": "../../etc/passwd"}], CIDRS, "is not a lowercase name"),
        ([{"name": "anna\n"}], CIDRS, "is not a lowercase name"),
        ([{"name": "a" * 41}], CIDRS, "at most 40 characters"),
        ([{}], CIDRS, "mlops_ml_users[0].name None"),
        ([{"name": "dwh"}], CIDRS, "'dwh' is taken by the platform"),
        ([{"name": "postgres"}], CIDRS, "is taken by the platform"),
        ([{"name": "pg_monitor"}], CIDRS, "starts with pg_"),
        ([{"name": "team_vision"}], CIDRS, "or team_"),
        ([{"name": "anna", "tema": "x"}], CIDRS, "unknown keys tema"),
        ([{"name": "anna", "team": "Vision X"}], CIDRS, ".team 'Vision X'"),
        ([{"name": "anna", "state": "gone"}], CIDRS, "must be present or absent"),
        ([{"name": "anna", "password": "short"}], CIDRS, "16 characters or more"),
        ([ANNA, ANNA], CIDRS, "names anna more than once"),
        ([ANNA], "10.8.0.0/24", "must be a list of networks"),
        ([ANNA], ["10.8.0.5/24"], "'10.8.0.5/24' is not a network in CIDR form"),
        ([ANNA], ["vpn"], "'vpn' is not a network"),
        ([ANNA], ["0.0.0.0/0"], "(nearly) the whole internet"),
        ([ANNA], ["::/0"], "(nearly) the whole internet"),
        ([ANNA], [], "nobody could connect"),
    ],
)
def test_bad_input_is_named_with_what_to_do(users, cidrs, words):
    found = problems(users, cidrs, ["dwh", "airflow"])
    assert any(words in problem for problem in found), found


def test_a_team_whose_schema_the_platform_has_is_refused_once():
    # As preflight passes them: the platform's roles, then mlops_dwh_schemas.
    reserved = ["airflow", "dwh", "dwh_read", "ml", "team_vision"]
    found = problems([ANNA, BORIS, {"name": "carl", "team": "nlp"}], CIDRS, reserved)
    assert found == [
        "mlops_ml_users team 'vision' would get the schema and role 'team_vision', which the platform already has (a "
        "schema in mlops_dwh_schemas or a platform role): rename the team or that schema"
    ]
    assert problems([ANNA, BORIS], CIDRS, ["airflow", "dwh", "dwh_read", "ml"]) == []
    # A retired member makes no team schema, so nothing collides.
    assert problems([{**ANNA, "state": "absent"}], CIDRS, reserved) == []


def test_an_absent_user_needs_no_network():
    assert problems([{**ANNA, "state": "absent"}], []) == []


def test_each_person_gets_a_login_role_that_keeps_a_password_they_changed():
    made = access([ANNA], settings={"statement_timeout": "30min"})
    anna = next(role for role in made["users"] if role["name"] == "anna")
    assert anna["password"] == "pw-anna" and anna["no_password_changes"] is True
    assert "LOGIN" in anna["role_attr_flags"].split(",") and "NOSUPERUSER" in anna["role_attr_flags"]
    assert anna["configuration"] == {"statement_timeout": "30min"}
    nologin = {role["name"] for role in made["users"] if role["role_attr_flags"] == "NOLOGIN"}
    assert nologin == {"dwh_read", "team_vision"}


def test_reading_the_warehouse_goes_through_the_reader_role_and_covers_later_tables():
    grants = access([ANNA, BORIS])["privileges"]
    assert {"database": "dwh", "type": "group", "objs": "dwh_read", "roles": "anna,boris"} in grants
    assert {
        "database": "dwh",
        "type": "default_privs",
        "objs": "TABLES",
        "schema": "ml",
        "privs": "SELECT",
        "roles": "dwh_read",
        "target_roles": "dwh",
    } in grants
    assert all(grant["database"] == "dwh" for grant in grants)
    assert not any("airflow" in str(grant.values()) for grant in grants)


def test_a_person_writes_in_a_schema_of_their_own_and_their_teams():
    made = access([ANNA, BORIS, {"name": "carl"}])
    assert {"name": "anna", "owner": "anna"} in made["schemas"] and {"name": "carl", "owner": "carl"} in made["schemas"]
    assert {"name": "team_vision", "owner": "team_vision"} in made["schemas"]
    assert {"name": "ml", "owner": "dwh"} in made["schemas"]
    team = [g for g in made["privileges"] if g.get("schema") == "team_vision"]
    assert sorted(g["target_roles"] for g in team) == ["anna", "boris"]


def test_only_active_people_may_connect_over_tls_from_the_listed_networks():
    made = access([ANNA, {**BORIS, "state": "absent"}])
    assert made["hba"] == [
        {"type": "hostssl", "database": "dwh", "user": "anna", "address": CIDRS, "method": "scram-sha-256"}
    ]
    boris = next(role for role in made["users"] if role["name"] == "boris")
    assert boris == {"name": "boris", "role_attr_flags": "NOLOGIN"}


def test_a_retired_account_gets_no_schema_made_and_none_dropped():
    made = access([ANNA, {**BORIS, "state": "absent"}])
    # The role never drops a schema it is not given: an existing one stays with what they wrote, none is made.
    assert [schema["name"] for schema in made["schemas"]] == ["ml", "team_vision", "anna"]
    assert not any("boris" in str(grant) for grant in made["privileges"])


def test_no_people_means_nothing_is_made():
    assert access([]) == {"users": [], "schemas": [], "privileges": [], "hba": []}
