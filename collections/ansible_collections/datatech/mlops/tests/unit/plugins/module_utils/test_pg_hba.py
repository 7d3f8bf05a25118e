"""pg_hba entries: each field checked before a line is written (a line break in a name once added a trust line)."""

from __future__ import annotations

import pytest
from ansible_collections.datatech.mlops.plugins.module_utils.pg_hba import lines, problems

GOOD = {"type": "hostssl", "database": "dwh", "user": "dwh", "address": ["10.0.0.11/32"], "method": "scram-sha-256"}


def test_good_entries_render_one_line_per_address():
    two = {**GOOD, "address": ["10.0.0.11/32", "10.0.1.0/24"], "database": ["dwh", "airflow"]}
    local = {"type": "local", "database": "all", "user": "+ml", "method": "peer"}
    assert problems([two, local]) == []
    assert lines([two, local]) == [
        "hostssl  dwh,airflow  dwh  10.0.0.11/32  scram-sha-256",
        "hostssl  dwh,airflow  dwh  10.0.1.0/24  scram-sha-256",
        "local  all  +ml  peer",
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"database": "all all 0.0.0.0/0 trust\nhostssl dwh"}, "database 'all all 0.0.0.0/0 trust\\nhostssl dwh'"),
        ({"user": "dwh\nhost all all 0.0.0.0/0 trust"}, "user 'dwh\\nhost all all 0.0.0.0/0 trust' is not a name"),
        ({"user": "dwh #"}, "is not a name"),
        ({"user": "dwh\n"}, "is not a name"),
        ({"database": ""}, "database is empty"),
        ({"address": ["10.0.0.0/8\nhost all all 0.0.0.0/0 trust"]}, "is not an IP address or network"),
        ({"address": "0.0.0.0/0"}, "is (nearly) the whole internet"),
        ({"address": ["0.0.0.0/1", "128.0.0.0/1"]}, "address 0.0.0.0/1 is (nearly) the whole internet"),
        ({"address": "::/0"}, "whole internet"),
        ({"address": "all"}, "whole internet"),
        ({"address": []}, "needs an address"),
        ({"method": "trust"}, "method trust lets network clients in without a password check"),
        ({"method": "password"}, "without a password check"),
    ],
)
def test_a_field_that_cannot_be_written_as_it_is_is_refused_by_name(change, words):
    found = problems([{**GOOD, **change}])
    assert any(words in line for line in found), found
    assert all("\n" not in line.replace("\\n", "") for line in found)
    with pytest.raises(ValueError):
        lines([{**GOOD, **change}])


def test_the_whole_internet_only_when_asked():
    assert problems([{**GOOD, "address": "0.0.0.0/0", "allow_world": True}]) == []
    assert problems([{**GOOD, "address": "10.0.0.0/8"}]) == []
