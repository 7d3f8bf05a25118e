"""The one client of Airflow's REST API in mlopsctl (API v2, tokens from the FAB auth manager's /auth/token): the
local platform's benchmarks and the Kubernetes DAG delivery use it. The opener is injectable, so the tests answer
without a server."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsctl.errors import CommandError

# (request, timeout) -> a response: a context manager with read().
Opener = Callable[[urllib.request.Request, float], Any]
PAGE = 100
HINTS = {
    401: "check the user and its password",
    403: "the user lacks the permission; check its role",
    404: "check the address (the API server's URL, without /api/v2)",
}


class ApiError(CommandError):
    """Airflow's API answered with an error status (`status`), or did not answer at all (None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def urllib_opener(ca_file: str | None = None) -> Opener:
    """urllib, verifying HTTPS against `ca_file` (the platform CA) or, without one, the system's CAs."""

    def open_url(request: urllib.request.Request, timeout: float) -> Any:
        # Read at each call: the CA may be made by a converge after the client was.
        if ca_file and not Path(ca_file).is_file():
            raise ApiError(f"the CA file {ca_file} does not exist: converge the platform first (it makes the CA)")
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    return open_url


@dataclass(frozen=True)
class DagState:
    """What the API shows of the DAGs a deploy expects."""

    missing: frozenset[str]
    stale: frozenset[str]
    import_errors: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not (self.missing or self.stale or self.import_errors)


class AirflowApi:
    """Airflow's API at `url` as `user`; logs in on the first call and again once when a token has expired."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        ca_file: str | None = None,
        opener: Opener | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self.password = password
        self.opener = opener or urllib_opener(ca_file)
        self.timeout = timeout
        self._token: str | None = None

    def _call(self, request: urllib.request.Request) -> Any:
        what = f"{request.get_method()} {request.full_url}"
        try:
            with self.opener(request, self.timeout) as response:
                return json.loads(response.read().decode() or "null")
        except urllib.error.HTTPError as exc:
            hint = HINTS.get(exc.code, "see the API server's log")
            raise ApiError(
                f"Airflow's API answered {what} with HTTP {exc.code} {exc.reason}: {hint}", exc.code
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(f"Airflow's API did not answer {what} ({reason}): check that Airflow is up there") from None
        except ValueError:
            raise ApiError(f"Airflow's API answered {what} with something other than JSON: check the address") from None

    def login(self) -> str:
        """A new token from /auth/token."""
        body = json.dumps({"username": self.user, "password": self.password}).encode()
        request = urllib.request.Request(
            f"{self.url}/auth/token", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        token = (self._call(request) or {}).get("access_token")
        if not token:
            raise ApiError(
                f"{self.url}/auth/token returned no access_token: is this Airflow with the FAB auth manager?"
            )
        self._token = token
        return token

    def get(self, path: str, **query: Any) -> Any:
        """GET an API path; a 401 (tokens expire during long waits) logs in once more and retries."""
        return self.send("GET", f"{path}?{urllib.parse.urlencode(query)}" if query else path)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        """An API call with a JSON body (POST, PATCH) or none; a 401 logs in once more and retries, as for get."""
        url = f"{self.url}{path}"
        data = None if body is None else json.dumps(body).encode()

        def request(token: str) -> urllib.request.Request:
            headers = {"Authorization": f"Bearer {token}"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            return urllib.request.Request(url, data=data, method=method, headers=headers)

        try:
            return self._call(request(self._token or self.login()))
        except ApiError as exc:
            if exc.status != 401:
                raise
        return self._call(request(self.login()))

    def paged(self, path: str, key: str) -> list[dict[str, Any]]:
        """Every item of a listing, page by page until total_entries."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.get(path, limit=PAGE, offset=len(items))
            items.extend(page.get(key, []))
            if not page.get(key) or len(items) >= page.get("total_entries", 0):
                return items

    def dags(self) -> dict[str, dict[str, Any]]:
        """Every DAG the API lists, by id."""
        return {dag["dag_id"]: dag for dag in self.paged("/api/v2/dags", "dags")}

    def import_errors(self) -> list[dict[str, Any]]:
        return self.paged("/api/v2/importErrors", "import_errors")

    def dag_ids(self) -> set[str]:
        """DAGs Airflow lists as active and free of import errors."""
        return {d for d, dag in self.dags().items() if not dag.get("is_stale") and not dag.get("has_import_errors")}

    def dag_state(self, expected: Iterable[str], bundle: str, commit: str) -> DagState:
        """Which expected DAGs the API lacks, which still come from another bundle version, and the bundle's errors."""
        dags = self.dags()
        wanted = set(expected)
        missing = wanted - set(dags)
        # GitDagBundle versions are commit SHAs: a DAG is deployed once the API shows it at this commit.
        stale = {d for d in wanted & set(dags) if dags[d].get("bundle_version") not in (None, commit)}
        stale |= {d for d in wanted & set(dags) if dags[d].get("bundle_name") not in (None, bundle)}
        errors = self.import_errors()
        mine = tuple(sorted(e.get("filename", "?") for e in errors if e.get("bundle_name") in (None, bundle)))
        return DagState(frozenset(missing), frozenset(stale), mine)


def wait_for_dags(
    api: AirflowApi,
    expected: Iterable[str],
    commit: str,
    bundle: str,
    timeout: float = 600.0,
    interval: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> DagState:
    """Poll the API until every DAG of the commit is listed at that commit and the bundle has no import errors."""
    wanted = frozenset(expected)
    deadline = clock() + timeout
    while True:
        state = api.dag_state(wanted, bundle, commit)
        if state.import_errors:
            raise CommandError(f"import errors in bundle {bundle}: {', '.join(state.import_errors)}")
        if state.ready:
            return state
        if clock() >= deadline:
            raise CommandError(
                f"after {timeout:.0f}s Airflow still lacks {sorted(state.missing)} and shows {sorted(state.stale)} "
                f"at another version than {commit[:12]}"
            )
        sleep(interval)
