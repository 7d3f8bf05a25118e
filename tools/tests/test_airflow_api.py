"""mlopsctl's one Airflow API client: login, paged listings, a token that expires mid-wait, the DAG state a deploy
waits for, and errors as one line; answered by a fake API through the injectable opener."""

from __future__ import annotations

import io
import json
import re
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from mlopsctl.airflow_api import AirflowApi, ApiError, DagState, wait_for_dags
from mlopsctl.errors import CommandError

URL = "https://airflow.example.com"


class FakeAirflow:
    """Airflow's REST API as the deploy sees it: /auth/token, /api/v2/dags and /api/v2/importErrors, paged."""

    def __init__(self, versions: list[dict[str, str]], errors: list[list[dict[str, str]]] | None = None) -> None:
        self.versions = versions  # one {dag_id: bundle_version} per poll
        self.errors = errors or [[] for _ in versions]
        self.polls = 0
        self.tokens = 0
        self.expire_once = False
        self.extra: dict[str, dict[str, Any]] = {}  # more fields of a DAG, by id

    def __call__(self, request: Any, timeout: float) -> io.BytesIO:
        url = request.full_url
        if url.endswith("/auth/token"):
            assert json.loads(request.data)["username"] == "admin"
            self.tokens += 1
            return io.BytesIO(json.dumps({"access_token": f"t{self.tokens}"}).encode())
        assert request.headers["Authorization"].startswith("Bearer t")
        if self.expire_once:
            self.expire_once = False
            raise urllib.error.HTTPError(url, 401, "expired", {}, None)  # type: ignore[arg-type]
        index = min(self.polls, len(self.versions) - 1)
        offset = int(re.search(r"offset=(\d+)", url).group(1))
        if "/api/v2/dags" in url:
            dags = [
                {"dag_id": d, "bundle_name": "mlops", "bundle_version": v, **self.extra.get(d, {})}
                for d, v in self.versions[index].items()
            ]
            page = {"dags": dags[offset : offset + 100], "total_entries": len(dags)}
        else:
            self.polls += 1
            errors = self.errors[index]
            page = {"import_errors": errors[offset : offset + 100], "total_entries": len(errors)}
        return io.BytesIO(json.dumps(page).encode())


def wait(fake: FakeAirflow, expected: set[str], timeout: float = 100.0) -> DagState:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    api = AirflowApi(URL, "admin", "pw", opener=fake)
    return wait_for_dags(api, expected, "new", "mlops", timeout=timeout, interval=10, sleep=sleep, clock=lambda: now[0])


def test_wait_until_every_dag_of_the_commit_is_listed_at_that_commit() -> None:
    api = FakeAirflow([{"a": "old"}, {"a": "new"}, {"a": "new", "b": "new"}])
    api.expire_once = True
    assert wait(api, {"a", "b"}).ready
    assert api.polls == 3 and api.tokens == 2


def test_wait_fails_on_import_errors_and_on_timeout() -> None:
    broken = FakeAirflow([{"a": "new"}], [[{"filename": "dags/b.py", "bundle_name": "mlops"}]])
    with pytest.raises(CommandError, match=r"import errors in bundle mlops: dags/b\.py"):
        wait(broken, {"a"})
    other_bundle = FakeAirflow([{"a": "new"}], [[{"filename": "x.py", "bundle_name": "dags-folder"}]])
    assert wait(other_bundle, {"a"}).ready
    stuck = FakeAirflow([{"a": "old"}])
    with pytest.raises(CommandError, match=r"still lacks \[\] and shows \['a'\] at another version than new"):
        wait(stuck, {"a"}, timeout=30)
    many = FakeAirflow([{f"d{i:03}": "new" for i in range(250)}])
    assert wait(many, {"d000", "d249"}).ready


def test_dag_ids_are_the_active_dags_without_import_errors_of_every_page() -> None:
    fake = FakeAirflow([{f"d{i:03}": "v" for i in range(230)}])
    fake.extra = {"d001": {"is_stale": True}, "d229": {"has_import_errors": True}}
    api = AirflowApi(URL, "admin", "pw", opener=fake)
    ids = api.dag_ids()
    assert len(ids) == 228 and "d000" in ids and "d228" in ids and not {"d001", "d229"} & ids
    api.dag_ids()
    assert fake.tokens == 1  # one login while the token is valid


def test_an_error_status_is_one_line_that_says_what_to_check() -> None:
    def forbidden(request: Any, timeout: float) -> io.BytesIO:
        raise urllib.error.HTTPError(request.full_url, 403, "Forbidden", {}, None)  # type: ignore[arg-type]

    with pytest.raises(ApiError, match=r"HTTP 403 Forbidden: the user lacks the permission; check its role") as err:
        AirflowApi(URL, "viewer", "pw", opener=forbidden).login()
    assert err.value.status == 403 and "\n" not in str(err.value)

    def down(request: Any, timeout: float) -> io.BytesIO:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    with pytest.raises(ApiError, match=r"did not answer POST https://airflow.example.com/auth/token .*refused"):
        AirflowApi(URL, "admin", "pw", opener=down).dag_ids()


def test_a_second_401_after_a_new_login_is_reported() -> None:
    def expired(request: Any, timeout: float) -> io.BytesIO:
        if request.full_url.endswith("/auth/token"):
            return io.BytesIO(b'{"access_token": "t"}')
        raise urllib.error.HTTPError(request.full_url, 401, "Unauthorized", {}, None)  # type: ignore[arg-type]

    with pytest.raises(ApiError, match="HTTP 401 Unauthorized: check the user and its password"):
        AirflowApi(URL, "admin", "pw", opener=expired).dags()


def test_a_missing_platform_ca_says_to_converge_first(tmp_path: Path) -> None:
    api = AirflowApi("https://localhost:8443", "admin", "pw", ca_file=str(tmp_path / "ca.crt"))
    with pytest.raises(ApiError, match=r"ca\.crt does not exist: converge the platform first"):
        api.dag_ids()


def test_send_posts_json_with_the_token_and_logs_in_again_once_it_expired() -> None:
    seen: list[tuple[str, str, Any, str]] = []
    tokens = iter(["t1", "t2"])
    expire = [True]

    def api(request: Any, timeout: float) -> io.BytesIO:
        if request.full_url.endswith("/auth/token"):
            return io.BytesIO(json.dumps({"access_token": next(tokens)}).encode())
        if expire[0]:
            expire[0] = False
            raise urllib.error.HTTPError(request.full_url, 401, "expired", {}, None)  # type: ignore[arg-type]
        seen.append(
            (request.get_method(), request.full_url, json.loads(request.data), request.headers["Authorization"])
        )
        assert request.headers["Content-type"] == "application/json"
        return io.BytesIO(b'{"dag_run_id": "r1"}')

    client = AirflowApi(URL, "admin", "pw", opener=api)
    assert client.send("POST", "/api/v2/dags/d/dagRuns", {"logical_date": None}) == {"dag_run_id": "r1"}
    assert seen == [("POST", f"{URL}/api/v2/dags/d/dagRuns", {"logical_date": None}, "Bearer t2")]
