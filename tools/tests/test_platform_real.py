"""The platform end to end on fresh local hosts: site.yml, the example DAG's run and its results in PostgreSQL,
DAG delivery (a DAG this repository has never seen, a broken one, rollback) and the GitLab jobs run by
gitlab-ci-local. Minutes long: `tools/run-tests.sh platform`."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from conftest import PG_MAJOR, ROOT, hosts_config

from mlopsctl.airflow_api import AirflowApi
from mlopsctl.lab.engine import detect_engine
from mlopsctl.lab.hosts import hosts_down, hosts_up

GITLAB_CI_LOCAL = ROOT / ".mlops/node/node_modules/.bin/gitlab-ci-local"
API_PORT = 18081
HTTP_PORT = 18082
# Where users reach the UI in this test: the published HTTPS port.
BASE_URL = f"https://localhost:{API_PORT}"

pytestmark = [
    pytest.mark.platform,
]

UNSEEN_DAG = """
from datetime import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["unseen"],
     default_args={"owner": "someone-else", "retries": 1})
def unseen_dag():
    @task
    def hello() -> str:
        return "hello"

    hello()


unseen_dag()
"""

ML_USER = "anna"

BROKEN_DAG = "from airflow.sdk import dag\n\n@dag(\ndef broken(:\n    pass\n"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("platform")
    cfg = hosts_config(
        base,
        "mlopsplat",
        "10.213.98.0/24",
        {
            "pdb01": {"groups": ["db"]},
            "pair01": {"groups": ["airflow"], "publish": [f"{API_PORT}:443", f"{HTTP_PORT}:80"]},
        },
    )
    engine = detect_engine("auto")
    inventory = base / "inventory/hosts.yml"
    hosts_up(engine, cfg, inventory, base / "logs")
    # An ML engineer's warehouse account; the local inventory admits ML staff from this machine.
    (inventory.parent / "host_vars").mkdir()
    (inventory.parent / "host_vars/pdb01.yml").write_text(f"mlops_ml_users:\n  - {{name: {ML_USER}, team: vision}}\n")
    yield engine, inventory, base
    hosts_down(engine, cfg, inventory)


def run(cmd: list[str], cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs a command the way a user would, output kept for the assertion message."""
    environ = {**os.environ, "ANSIBLE_CONFIG": str(cwd / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0", **env}
    environ["PATH"] = f"{Path(sys.executable).parent}:{environ['PATH']}"
    done = subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True)
    print(done.stdout[-4000:], done.stderr[-2000:])
    return done


def playbook(inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    extra = ("-e", json.dumps({"airflow_base_url": BASE_URL}))
    return run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), *extra, *args])


def mlopsctl(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run([str(Path(sys.executable).parent / "mlopsctl"), *args], cwd=cwd)


def psql(engine, sql: str) -> str:
    cmd = engine.cmd("exec", "pdb01", "runuser", "-u", "postgres", "--", "psql", "-d", "dwh", "-tAc", sql)
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def live_release(engine) -> str:
    cmd = engine.cmd("exec", "pair01", "readlink", "/var/lib/airflow/dags")
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def api_dags(base: Path) -> set[str]:
    """DAGs the Airflow API on the published port lists as active and free of import errors."""
    password = (base / "inventory/.secrets/airflow_admin_password").read_text().strip()
    return AirflowApi(BASE_URL, "admin", password, str(base / "inventory/.secrets/ca/ca.crt")).dag_ids()


def dags_copy(base: Path, name: str, extra: dict[str, str]) -> Path:
    target = base / name
    shutil.copytree(ROOT / "dags", target, ignore=shutil.ignore_patterns("__pycache__"))
    for filename, text in extra.items():
        (target / filename).write_text(text)
    return target


def test_site_converges_and_the_example_dag_writes_its_results_to_postgresql(platform) -> None:
    engine, inventory, _ = platform
    assert playbook(inventory, "site.yml", "-e", '{"dags_run": "iris_training"}').returncode == 0
    assert int(psql(engine, "SELECT count(*) FROM ml.model_runs WHERE dataset = 'iris' AND accuracy >= 0.9")) == 1
    stats = psql(engine, "SELECT count(DISTINCT label), count(DISTINCT feature), sum(n) FROM ml.feature_stats")
    assert stats == "3|4|600"  # 3 classes x 4 features, 50 samples each


def test_an_ml_user_reads_the_dags_results_from_this_machine_over_verified_tls_only(
    platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What docs/ml/access.md tells an ML engineer to do, from the machine the hosts run on (their laptop here)."""
    _, inventory, base = platform
    shown = mlopsctl("access", ML_USER, "--inventory", str(inventory))
    assert shown.returncode == 0
    password = (base / f"inventory/.secrets/postgresql_ml_{ML_USER}_password").read_text().strip()
    assert password not in shown.stdout
    libpq = re.search(r'psql:\s+psql "([^"]+)"', shown.stdout).group(1)
    assert "sslmode=verify-full" in libpq

    def as_ml_user(sql: str, dsn: str = libpq) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["psql", "-X", "-tA", "-d", dsn, "-c", sql], capture_output=True, text=True,
                              env={**os.environ, "PGPASSWORD": password})  # fmt: skip

    assert int(as_ml_user("SELECT count(*) FROM ml.model_runs WHERE dataset = 'iris'").stdout) == 1
    assert "Scan" in as_ml_user("EXPLAIN SELECT avg(accuracy) FROM ml.model_runs").stdout
    made = as_ml_user("CREATE TABLE IF NOT EXISTS my_runs AS SELECT * FROM ml.model_runs; SELECT count(*) FROM my_runs")
    assert made.returncode == 0 and made.stdout.strip().endswith("1"), made.stderr
    assert "permission denied for schema ml" in as_ml_user("CREATE TABLE ml.mine (x int)").stderr
    assert "no pg_hba.conf entry" in as_ml_user("SELECT 1", libpq.replace("dbname=dwh", "dbname=airflow")).stderr
    assert "no encryption" in as_ml_user("SELECT 1", libpq.replace("verify-full", "disable")).stderr
    # The notebook example of the docs, as this user, over verified TLS.
    settings = dict(item.split("=", 1) for item in libpq.split())
    for key, value in {"DWH_HOST": settings["host"], "DWH_USER": ML_USER, "DWH_PASSWORD": password,
                       "DWH_SSLROOTCERT": settings["sslrootcert"]}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    namespace: dict[str, Any] = {}
    snippet = ROOT / "docs/snippets/notebook_dwh.py"
    exec(compile(snippet.read_text(), snippet.name, "exec"), namespace)
    frame = namespace["frame_with_pandas"]("SELECT dataset, accuracy FROM ml.model_runs")
    assert frame["dataset"].tolist() == ["iris"] and frame["accuracy"].iloc[0] >= 0.9


def test_the_minimal_dag_runs_in_one_process_with_dag_test_as_an_ml_user(platform, tmp_path: Path) -> None:
    """docs/ml/test-locally.md's recipe: .venv-dags, a throwaway AIRFLOW_HOME, AIRFLOW_CONN_POSTGRES_DWH with the
    person's own account over verified TLS, `python dags/<file>.py`; the table lands in that person's schema."""
    _, inventory, base = platform
    secrets = base / "inventory/.secrets"
    password = (secrets / f"postgresql_ml_{ML_USER}_password").read_text().strip()
    address = yaml.safe_load(inventory.read_text())["all"]["children"]["db"]["hosts"]["pdb01"]["mlops_private_ip"]
    (tmp_path / "dags").mkdir()
    shutil.copy(ROOT / "docs/snippets/minimal_dag.py", tmp_path / "dags/my_pipeline.py")
    ca = quote(str(secrets / "ca/ca.crt"), safe="")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_POSTGRES_DWH": f"postgresql://{ML_USER}:{quote(password, safe='')}@{address}:5432/dwh"
        f"?sslmode=verify-full&sslrootcert={ca}",
    }
    dags_bin = ROOT / ".venv-dags/bin"
    migrated = subprocess.run([str(dags_bin / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    done = subprocess.run(
        [str(dags_bin / "python"), str(tmp_path / "dags/my_pipeline.py")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and "state=success" in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]
    dsn = f"host={address} dbname=dwh user={ML_USER} sslmode=verify-full sslrootcert={secrets / 'ca/ca.crt'}"
    rows = subprocess.run(
        ["psql", "-X", "-tA", "-d", dsn, "-c", f"SELECT n, total FROM {ML_USER}.minimal_pipeline_runs"],
        capture_output=True, text=True, env={**os.environ, "PGPASSWORD": password},
    )  # fmt: skip
    assert rows.stdout.strip() == "10|55", rows.stderr


def test_the_docs_screenshots_are_taken_from_a_real_airflow(platform, tmp_path: Path) -> None:
    """`mlopsctl screenshots` logs in through the UI's form and photographs the DAG list, a run and a task's log."""
    _, inventory, _ = platform
    done = mlopsctl("screenshots", "--url", BASE_URL, "--inventory", str(inventory), "--out", str(tmp_path))
    assert done.returncode == 0
    for name in ("dag-list.png", "task-log.png", "run-graph.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG") and (tmp_path / name).stat().st_size > 20_000


def assert_nothing_changed(done: subprocess.CompletedProcess[str]) -> None:
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", done.stdout, re.MULTILINE)
    assert recap and all(changed == "0" for _, changed in recap), recap


def test_second_site_run_changes_nothing(platform) -> None:
    _, inventory, _ = platform
    done = playbook(inventory, "site.yml")
    assert done.returncode == 0
    assert_nothing_changed(done)


def test_check_mode_on_the_converged_platform_changes_nothing_and_fails_nowhere(platform) -> None:
    _, inventory, _ = platform
    done = playbook(inventory, "site.yml", "--check", "--diff")
    assert done.returncode == 0
    assert_nothing_changed(done)


def test_airflow_answers_over_https_only_verified_by_the_platform_ca(platform) -> None:
    engine, _, base = platform
    context = ssl.create_default_context(cafile=str(base / "inventory/.secrets/ca/ca.crt"))
    with urllib.request.urlopen(f"{BASE_URL}/api/v2/monitor/health", context=context, timeout=10) as answer:
        assert json.load(answer)["metadatabase"]["status"] == "healthy"
    # The system's CAs do not know the platform CA: its certificate is not trusted without it.
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(f"{BASE_URL}/api/v2/monitor/health", timeout=10)
    # Plain HTTP only redirects to the HTTPS address users know.
    plain = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    plain.request("GET", "/api/v2/monitor/health")
    redirect = plain.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location") == f"{BASE_URL}/api/v2/monitor/health"
    # The API server itself listens on air01's loopback only: another host cannot reach it around nginx.
    probe = "import socket; socket.create_connection(('pair01', 8080), timeout=5)"
    around = subprocess.run(engine.cmd("exec", "pdb01", "python3", "-c", probe), capture_output=True, text=True)
    assert around.returncode != 0 and "Connection refused" in around.stderr


SECRETS = (
    "postgresql_airflow_password",
    "postgresql_dwh_password",
    "airflow_admin_password",
    "airflow_password_deployer",
    "airflow_jwt_secret",
    "airflow_api_secret_key",
    "airflow_fernet_seed",
)


def airflow_cli(engine, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(engine.cmd("exec", "pair01", "airflow", *args), capture_output=True, text=True)


def other_checkout(inventory: Path, directory: Path, *shared: str) -> Path:
    """Another operator's inventory of the same hosts: the group_vars link and only the named .secrets/ parts."""
    (directory / ".secrets").mkdir(parents=True)
    shutil.copy(inventory, directory / "hosts.yml")
    shutil.copytree(inventory.parent / "host_vars", directory / "host_vars")
    (directory / "group_vars").symlink_to(ROOT / "group_vars")
    for part in shared:
        shutil.copytree(inventory.parent / ".secrets" / part, directory / ".secrets" / part)
    return directory


def test_a_second_checkout_without_secrets_reads_them_back_and_changes_nothing(platform) -> None:
    """Another operator's checkout: their SSH access and the shared CA, none of the generated secrets."""
    engine, inventory, base = platform
    assert airflow_cli(engine, "variables", "set", "mlops_probe", "encrypted-before").returncode == 0
    second = other_checkout(inventory, base / "second-checkout", "ssh", "ca")
    done = playbook(second / "hosts.yml", "site.yml")
    assert done.returncode == 0
    # Only the control node's copies of the secrets are written; nothing on the hosts changes.
    assert not re.findall(r"^changed: \[(pdb01|pair01)\]", done.stdout, re.MULTILINE)
    for name in SECRETS:
        assert (second / ".secrets" / name).read_text() == (inventory.parent / ".secrets" / name).read_text(), name
    probe = airflow_cli(engine, "variables", "get", "mlops_probe")
    assert probe.returncode == 0 and probe.stdout.strip().endswith("encrypted-before"), probe.stderr[-2000:]


def ssh_as(inventory: Path, host: str, user: str, key: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """One SSH login to a local host, its host key checked against the known_hosts `hosts up` wrote."""
    found = yaml.safe_load(inventory.read_text())["all"]["children"]
    where = next(group["hosts"][host] for group in found.values() if host in group["hosts"])
    known_hosts = inventory.parent / ".secrets/ssh/known_hosts"
    cmd = ["ssh", "-i", str(key), "-p", str(where["ansible_port"]), "-o", f"UserKnownHostsFile={known_hosts}"]
    cmd += ["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    return subprocess.run([*cmd, f"{user}@{where['ansible_host']}", *command], capture_output=True, text=True)


def test_a_dag_deploy_from_ci_holds_only_the_deployers_password(platform) -> None:
    """A deploy job's workspace: the deploy account's key, the hosts' keys, the CA and the deployer's password; no
    platform secret is read back, and the key reaches the Airflow user, never root."""
    _, inventory, base = platform
    ci = other_checkout(inventory, base / "ci-checkout", "deploy-ssh")
    for part in ("ssh/known_hosts", "ca/ca.crt"):
        (ci / ".secrets" / part).parent.mkdir(mode=0o700)
        shutil.copy(inventory.parent / ".secrets" / part, ci / ".secrets" / part)
    key = ci / ".secrets/deploy-ssh/id_ed25519"
    password = (inventory.parent / ".secrets/airflow_password_deployer").read_text().strip()
    login = ("--ssh-user", "mlops-deploy", "--ssh-key", str(key))
    deploy = (str(Path(sys.executable).parent / "mlopsctl"), "dags", "deploy", "--inventory", str(ci / "hosts.yml"))
    done = run([*deploy, *login], MLOPS_AIRFLOW_DEPLOY_PASSWORD=password)
    assert done.returncode == 0
    assert sorted(str(p.relative_to(ci / ".secrets")) for p in (ci / ".secrets").rglob("*") if p.is_file()) == [
        "ca/ca.crt",
        "deploy-ssh/id_ed25519",
        "deploy-ssh/id_ed25519.pub",
        "ssh/known_hosts",
    ]
    refused = run([*deploy, *login])
    assert refused.returncode != 0 and "set MLOPS_AIRFLOW_DEPLOY_PASSWORD" in refused.stdout
    # What else the key opens: the Airflow user, and nothing of root's.
    assert ssh_as(inventory, "pair01", "mlops-deploy", key, "sudo", "-n", "-u", "airflow", "id", "-un").stdout == (
        "airflow\n"
    )
    for command in (["sudo", "-n", "true"], ["sudo", "-n", "-u", "airflow-task", "true"]):
        assert ssh_as(inventory, "pair01", "mlops-deploy", key, *command).returncode != 0, command
    for command in (["cat"], ["sudo", "-n", "-u", "airflow", "cat"]):
        denied = ssh_as(inventory, "pair01", "mlops-deploy", key, *command, "/etc/airflow/accounts.json")
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, command
    assert ssh_as(inventory, "pair01", "root", key, "true").returncode == 255
    assert ssh_as(inventory, "pdb01", "mlops-deploy", key, "true").returncode == 255


def test_a_second_checkout_without_the_platform_ca_stops_before_changing_anything(platform) -> None:
    _, inventory, base = platform
    third = other_checkout(inventory, base / "third-checkout", "ssh")
    done = playbook(third / "hosts.yml", "playbooks/db.yml")
    assert done.returncode != 0
    assert "signed by a platform CA that this control node does not have" in done.stdout
    assert not re.findall(r"^changed: \[pdb01\]", done.stdout, re.MULTILINE)


def server_cert(engine) -> str:
    cert = f"/etc/postgresql/{PG_MAJOR}/main/server.crt"
    cmd = engine.cmd("exec", "pdb01", "openssl", "x509", "-in", cert, "-noout", "-serial", "-enddate")
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_a_certificate_within_its_renewal_window_is_renewed_by_one_rerun(platform) -> None:
    engine, inventory, _ = platform
    before = server_cert(engine)
    # A window longer than the certificate's life puts today's certificate inside it; the new one outlives the window
    # (the role refuses a window as long as the validity: it would renew on every run).
    renew = ["-e", "platform_ca_cert_renew_days=400", "-e", "platform_ca_cert_valid_days=800"]
    assert playbook(inventory, "playbooks/db.yml", *renew).returncode == 0
    assert server_cert(engine) != before
    again = playbook(inventory, "site.yml")
    assert again.returncode == 0
    assert_nothing_changed(again)


def test_the_fernet_key_rotates_and_what_it_encrypted_stays_readable(platform) -> None:
    engine, inventory, _ = platform
    secrets_dir = inventory.parent / ".secrets"
    seed_before = (secrets_dir / "airflow_fernet_seed").read_text()
    assert airflow_cli(engine, "variables", "set", "mlops_rotated", "encrypted-with-the-old-key").returncode == 0
    extra = json.dumps({"airflow_base_url": BASE_URL})
    done = mlopsctl("secrets", "rotate", "airflow_fernet_key", "--inventory", str(inventory), "--", "-e", extra)
    assert done.returncode == 0
    assert (secrets_dir / "airflow_fernet_seed").read_text() != seed_before
    assert (secrets_dir / "airflow_fernet_seed.previous").read_text() == seed_before
    probe = airflow_cli(engine, "variables", "get", "mlops_rotated")
    assert probe.returncode == 0 and probe.stdout.strip().endswith("encrypted-with-the-old-key"), probe.stderr[-2000:]


def test_a_dag_never_seen_before_is_delivered_visible_and_runs(platform) -> None:
    engine, inventory, base = platform
    before = live_release(engine)
    source = dags_copy(base, "dags-unseen", {"unseen_dag.py": UNSEEN_DAG})
    done = mlopsctl("dags", "deploy", "--source", str(source), "--run", "unseen_dag", "--inventory", str(inventory))
    assert done.returncode == 0
    assert "3 DAG(s) live from release" in done.stdout
    assert live_release(engine) != before
    assert "unseen_dag" in api_dags(base)


def test_a_broken_dag_aborts_the_deploy_and_the_live_release_stays(platform) -> None:
    engine, inventory, base = platform
    before = live_release(engine)
    source = dags_copy(base, "dags-broken", {"unseen_dag.py": UNSEEN_DAG, "broken.py": BROKEN_DAG})
    done = mlopsctl("dags", "deploy", "--source", str(source), "--inventory", str(inventory))
    assert done.returncode == 2
    assert "broken.py: SyntaxError" in done.stdout
    assert live_release(engine) == before
    assert "unseen_dag" in api_dags(base)
    leftovers = subprocess.run(
        engine.cmd("exec", "pair01", "ls", "-A", "/var/lib/airflow/dag-releases"), capture_output=True, text=True
    ).stdout.split()
    assert not [name for name in leftovers if name.startswith(".incoming")]


def test_rollback_returns_to_the_release_before(platform) -> None:
    engine, inventory, _ = platform
    history = json.loads(
        subprocess.run(
            engine.cmd("exec", "pair01", "cat", "/var/lib/airflow/dag-releases/history.json"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert mlopsctl("dags", "rollback", "--inventory", str(inventory)).returncode == 0
    assert live_release(engine).endswith("/" + history[-2])


@pytest.fixture(scope="module")
def repo_copy(platform) -> Path:
    """A copy of the working tree as its own git repository (gitlab-ci-local needs one), sharing the venvs."""
    _, _, base = platform
    repo = base / "repo"
    shutil.copytree(
        ROOT,
        repo,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".venv-dags", ".mlops", "inventories", "__pycache__", ".git"),
    )
    shutil.copytree(ROOT / "inventories/example", repo / "inventories/example", symlinks=True)
    for shared in (".venv", ".venv-dags", ".mlops"):
        (repo / shared).symlink_to(ROOT / shared)
    # An origin like a clone's: gitlab-ci-local diffs against origin/main for `rules: changes`.
    for git in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "copy", "--no-gpg-sign"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
    ):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *git], cwd=repo, check=True)
    return repo


def gitlab_ci_local(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([str(GITLAB_CI_LOCAL), "--force-shell-executor", "--no-color", *args], cwd=repo)


def test_gitlab_lint_and_deploy_jobs_run_green_against_the_local_hosts(platform, repo_copy: Path) -> None:
    _, inventory, base = platform
    assert gitlab_ci_local(repo_copy, "lint:code", "lint:dags").returncode == 0
    (repo_copy / "dags/unseen_dag.py").write_text(UNSEEN_DAG)
    # The job's deploy login: the deploy account's key (a file variable in GitLab) and the hosts' keys.
    secrets = inventory.parent / ".secrets"
    login = [f"SSH_PRIVATE_KEY={secrets}/deploy-ssh/id_ed25519", f"SSH_KNOWN_HOSTS={secrets}/ssh/known_hosts"]
    variables = [arg for value in [f"DAGS_INVENTORY={inventory}", *login] for arg in ("--variable", value)]
    done = gitlab_ci_local(repo_copy, "deploy:dags:staging", *variables)
    assert done.returncode == 0
    assert "PASS  deploy:dags:staging" in done.stdout
    assert "unseen_dag" in api_dags(base)


def test_gitlab_lint_stage_fails_on_a_dag_with_a_syntax_error(repo_copy: Path) -> None:
    (repo_copy / "dags/broken.py").write_text(BROKEN_DAG)
    try:
        done = gitlab_ci_local(repo_copy, "lint:dags")
    finally:
        (repo_copy / "dags/broken.py").unlink()
    assert done.returncode != 0
    assert "broken.py" in done.stdout and "FAIL" in done.stdout


EVERY_MINUTE_DAG = """
from datetime import datetime

from airflow.sdk import dag, task


@dag(schedule="* * * * *", start_date=datetime(2026, 1, 1), catchup=False, tags=["restart"],
     default_args={"owner": "platform-test", "retries": 1})
def every_minute():
    @task
    def tick() -> str:
        return "tick"

    tick()


every_minute()
"""


def api_call(base: Path, method: str, path: str, body: dict[str, Any] | None = None, user: str = "admin") -> Any:
    """One call to the Airflow API on the published HTTPS port, as the admin (or `user`), verified with the platform
    CA."""
    secret = "airflow_admin_password" if user == "admin" else f"airflow_password_{user}"
    password = (base / "inventory/.secrets" / secret).read_text().strip()
    context = ssl.create_default_context(cafile=str(base / "inventory/.secrets/ca/ca.crt"))
    login = urllib.request.Request(
        f"{BASE_URL}/auth/token",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, context=context, timeout=10) as answer:
        token = json.load(answer)["access_token"]
    request = urllib.request.Request(
        f"{BASE_URL}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        return json.load(answer)


def wait_for(what: str, check: Any, timeout: float) -> float:
    """Seconds until check() is true; fails with what was awaited after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except (OSError, urllib.error.URLError, KeyError, ValueError):
            pass  # the host is still booting
        time.sleep(3)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


def test_restarted_hosts_come_back_without_a_converge_and_the_schedule_runs_again(platform) -> None:
    """Fault 3: db01 and air01 restarted; every service starts at boot and the scheduler goes on."""
    engine, inventory, base = platform
    source = dags_copy(base, "dags-restart", {"every_minute.py": EVERY_MINUTE_DAG})
    assert mlopsctl("dags", "deploy", "--source", str(source), "--inventory", str(inventory)).returncode == 0
    api_call(base, "PATCH", "/api/v2/dags/every_minute", {"is_paused": False})
    restarted = datetime.now(UTC)
    subprocess.run(engine.cmd("restart", "pdb01", "pair01"), check=True, capture_output=True)

    def healthy() -> bool:
        health = api_call(base, "GET", "/api/v2/monitor/health")
        return all(health[part]["status"] == "healthy" for part in ("metadatabase", "scheduler", "triggerer"))

    def scheduled_run_after_restart() -> bool:
        runs = api_call(base, "GET", "/api/v2/dags/every_minute/dagRuns?order_by=-start_date&limit=5")["dag_runs"]
        return any(
            run["run_type"] == "scheduled"
            and run["state"] == "success"
            and datetime.fromisoformat(run["start_date"]) > restarted
            for run in runs
        )

    back = wait_for("the health endpoint healthy again after the restart", healthy, 300)
    ran = wait_for("a scheduled run that started after the restart succeeding", scheduled_run_after_restart, 240)
    print(f"fault 3: healthy {back:.0f} s after the restart, a scheduled run succeeded {ran:.0f} s later")


# Prometheus, the collectors and the alerts fast enough for a test; everything else as the platform sets it.
MONITORING_FAST = {
    "monitoring_scrape_interval": "5s",
    "monitoring_evaluation_interval": "5s",
    "monitoring_textfile_interval": "10s",
    "monitoring_alert_airflow_heartbeat_max_age": "30s",
}


def prometheus(engine, path: str) -> Any:
    """Prometheus's API on the monitoring host (air01's loopback: it listens nowhere else)."""
    code = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"
    cmd = engine.cmd("exec", "pair01", "python3", "-c", code, f"http://127.0.0.1:9090{path}")
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)["data"]


def firing(engine, alertname: str, **labels: str) -> list[dict[str, Any]]:
    return [
        alert
        for alert in prometheus(engine, "/api/v1/alerts")["alerts"]
        if alert["labels"]["alertname"] == alertname
        and alert["state"] == "firing"
        and all(alert["labels"].get(k) == v for k, v in labels.items())
    ]


def test_monitoring_watches_the_platform_and_a_stopped_scheduler_and_a_failed_run_fire_their_alerts(
    platform,
) -> None:
    """Fault 4: playbooks/monitoring.yml on the running platform, the Airflow collector logged in with the platform's
    own Monitoring account; the scheduler stopped, then a DAG run failed."""
    engine, inventory, base = platform
    fast = ("-e", json.dumps(MONITORING_FAST))
    assert playbook(inventory, "playbooks/monitoring.yml", *fast).returncode == 0
    again = playbook(inventory, "playbooks/monitoring.yml", *fast)
    assert again.returncode == 0
    assert_nothing_changed(again)

    def everything_up() -> bool:
        targets = prometheus(engine, "/api/v1/targets?state=active")["activeTargets"]
        jobs = sorted((t["labels"]["job"], t["labels"]["host"]) for t in targets if t["health"] == "up")
        expected = [("alertmanager", "pair01"), ("node", "pdb01"), ("node", "pair01"), ("postgres", "pdb01")]
        return jobs == sorted([*expected, ("prometheus", "pair01")])

    def airflow_read() -> bool:
        query = 'mlops_airflow_component_healthy{component="scheduler"} == 1 and on() mlops_textfile_success'
        query += '{collector="airflow"} == 1'
        return len(prometheus(engine, f"/api/v1/query?query={quote(query)}")["result"]) == 1

    up = wait_for("every target up", everything_up, 120)
    read = wait_for("the Airflow collector reading a healthy scheduler", airflow_read, 120)
    # The collector's account reads DAG runs and nothing else.
    with pytest.raises(urllib.error.HTTPError) as refused:
        api_call(base, "GET", "/api/v2/connections", user="monitoring")
    assert refused.value.code == 403

    scheduler = ("airflow@scheduler.service",)
    subprocess.run(engine.cmd("exec", "pair01", "systemctl", "stop", *scheduler), check=True)
    try:
        fired = wait_for(
            "AirflowHeartbeatMissing firing for the stopped scheduler",
            lambda: firing(engine, "AirflowHeartbeatMissing", host="pair01", component="scheduler") != [],
            180,
        )
    finally:
        subprocess.run(engine.cmd("exec", "pair01", "systemctl", "start", *scheduler), check=True)
    resolved = wait_for(
        "AirflowHeartbeatMissing resolved once the scheduler runs",
        lambda: firing(engine, "AirflowHeartbeatMissing", component="scheduler") == [],
        180,
    )

    # A run that ends failed, as a task's failure leaves it (marked so through the API by the admin).
    runs = api_call(base, "GET", "/api/v2/dags/iris_training/dagRuns?order_by=-start_date&limit=1")["dag_runs"]
    api_call(base, "PATCH", f"/api/v2/dags/iris_training/dagRuns/{quote(runs[0]['dag_run_id'])}", {"state": "failed"})
    failed = wait_for(
        "AirflowDAGRunFailed firing for iris_training",
        lambda: firing(engine, "AirflowDAGRunFailed", host="pair01", dag_id="iris_training") != [],
        120,
    )
    summary = firing(engine, "AirflowDAGRunFailed", dag_id="iris_training")[0]["annotations"]["summary"]
    assert "iris_training" in summary
    print(
        f"fault 4: targets up in {up:.0f} s, Airflow read in {read:.0f} s; stopped scheduler fired in {fired:.0f} s,"
        f" resolved {resolved:.0f} s after its start; failed run fired in {failed:.0f} s ({summary})"
    )
