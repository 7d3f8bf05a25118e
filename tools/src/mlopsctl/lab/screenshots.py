"""The pictures of the Airflow UI in the docs (docs/assets/screenshots/), taken by `mlopsctl screenshots` from a
running platform (the local demo by default): the DAG list, a run of the example DAG, and one task's log. Chromium
trusts exactly the certificate the API answered with after Python verified it against the platform CA."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mlopsctl.airflow_api import AirflowApi
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.lab.browser import Browser, headless
from mlopsctl.playbook import first_host_vars

DAG = "iris_training"
TASK = "train_and_record"
# Wide enough for the UI's side panels, the width a reader's window has.
WINDOW = "1440,900"


@dataclass(frozen=True)
class Shot:
    """One picture: its file, the UI path it shows, text that must be on the page, then (optionally) what to click
    and the text that must appear after the click before the picture is taken."""

    name: str
    path: str
    shows: str
    click: str = ""
    then: str = ""


# The run's graph, not the grid the run page opens with.
GRAPH_BUTTON = "document.querySelector('button[aria-label^=\"Show Graph\"]').click()"
# The log viewer folds the task's own lines into the "Pre Execute" group; the result line is scrolled into view.
UNFOLD_LOG = (
    "const leaf = (text) => [...document.querySelectorAll('span, div')].filter(e => e.childElementCount === 0"
    " && e.textContent.includes(text));"
    "leaf('Pre Execute').forEach(e => e.click());"
    "setTimeout(() => leaf('Done. Returned value').forEach(e => e.scrollIntoView({block: 'center'})), 1000)"
)


def admin_user(root: Path, inventory: Path) -> str:
    """airflow_admin_user of the inventory's first airflow host as Ansible reads it (group_vars, host variables)."""
    host, hostvars = first_host_vars(root, inventory, "airflow", "pass the inventory of the platform at --url")
    user = hostvars.get("airflow_admin_user", "admin")
    if not isinstance(user, str) or not user or "{{" in user:
        raise ConfigError(
            f"airflow_admin_user on {host} is {user!r}: `mlopsctl screenshots` reads it as written, so set it as "
            "a plain name in group_vars or the inventory"
        )
    return user


def pinned_spki(url: str, ca_file: Path) -> str:
    """base64 SHA-256 of the public key of the server's certificate, verified against the platform CA first."""
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=str(ca_file))
    address = (parts.hostname, parts.port or 443)
    with (
        socket.create_connection(address, timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise CommandError(f"{url} sent no certificate")
    key = x509.load_der_x509_certificate(der).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def latest_success(api: AirflowApi, dag_id: str) -> str:
    """The id of the newest successful run of `dag_id`."""
    runs = api.get(f"/api/v2/dags/{dag_id}/dagRuns", state="success", order_by="-start_date", limit=1)
    found = runs.get("dag_runs", [])
    if not found:
        raise CommandError(f"{dag_id} has no successful run to show: run `mlopsctl up` (it runs {dag_id} once)")
    return str(found[0]["dag_run_id"])


def shots(run_id: str) -> list[Shot]:
    run = urllib.parse.quote(run_id, safe="")
    return [
        Shot("dag-list.png", "/dags", DAG),
        # Before the graph: the UI keeps the graph view once chosen, which narrows the log.
        Shot("task-log.png", f"/dags/{DAG}/runs/{run}/tasks/{TASK}", "Pre Execute", UNFOLD_LOG, "Done. Returned value"),
        Shot("run-graph.png", f"/dags/{DAG}/runs/{run}", TASK, GRAPH_BUTTON, "React Flow"),
    ]


def log_in(browser: Browser, url: str, user: str, password: str) -> None:
    """The FAB auth manager's login form, as a person fills it in."""
    browser.open(f"{url}/auth/login/")
    browser.wait_for("return document.querySelector('input#username')")
    browser.type("input#username", user)
    browser.type("input#password", password)
    browser.js("document.querySelector('input#password').form.submit()")
    browser.wait_for("return !location.pathname.startsWith('/auth/login')")


def take(url: str, user: str, password: str, ca_file: Path, out: Path) -> list[Path]:
    """Every picture of shots() into `out`; returns their paths."""
    api = AirflowApi(url, user, password, str(ca_file))
    run_id = latest_success(api, DAG)
    spki = pinned_spki(url, ca_file)
    written = []
    with headless(WINDOW, [f"--ignore-certificate-errors-spki-list={spki}"]) as browser:
        log_in(browser, url, user, password)
        for shot in shots(run_id):
            browser.open(f"{url}{shot.path}")
            browser.wait_for(f"return document.body.innerText.includes({shot.shows!r})", timeout=60)
            if shot.click:
                browser.js(shot.click)
                browser.wait_for(f"return document.body.innerText.includes({shot.then!r})", timeout=30)
            # The UI draws graphs and logs in steps after the text arrives.
            time.sleep(2)
            browser.screenshot(out / shot.name)
            written.append(out / shot.name)
    return written
