"""The collection as a versioned product: version checks, the tarball, and an install from a git tag that converges."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml
from conftest import COLLECTION, ROOT, hosts_config

from mlopsctl import checkout, release
from mlopsctl.errors import CommandError, ConfigError
from mlopsctl.playbook import run_playbook

COLLECTION_PATH = str(checkout.COLLECTION)
VERSION = release.galaxy_version(COLLECTION)
LABEL = "mlopsrel"
HOST = "reldb01"
BIN = Path(sys.executable).parent


def collection_copy(tmp_path: Path) -> Path:
    """What the release check reads, copied so that a test can break it."""
    copy = tmp_path / "mlops"
    copy.mkdir()
    shutil.copy(COLLECTION / "galaxy.yml", copy)
    shutil.copy(COLLECTION / "CHANGELOG.md", copy)
    shutil.copytree(COLLECTION / "changelogs", copy / "changelogs")
    return copy


def set_galaxy_version(collection: Path, version: str) -> None:
    text = (collection / "galaxy.yml").read_text()
    (collection / "galaxy.yml").write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", text))


def test_the_checkout_agrees_with_itself() -> None:
    assert release.SEMVER.match(VERSION)
    assert release.check_release(COLLECTION) == []


def test_the_release_tag_agrees_and_another_tag_does_not(tmp_path: Path) -> None:
    copy = collection_copy(tmp_path)
    for name in release.unreleased_fragments(copy):  # work after the release is not part of it
        (copy / "changelogs/fragments" / name).unlink()
    assert release.check_release(copy, tag=f"v{VERSION}") == []
    assert release.check_release(copy, tag=VERSION) == [
        f"tag {VERSION!r} does not match galaxy.yml version {VERSION} (a release is tagged v{VERSION})"
    ]


def test_a_version_without_a_changelog_release_is_refused(tmp_path: Path) -> None:
    copy = collection_copy(tmp_path)
    set_galaxy_version(copy, "9.9.9")
    problems = release.check_release(copy, tag="v9.9.9")
    assert any("changelog.yaml has no release 9.9.9" in p for p in problems)
    assert any("CHANGELOG.md has no section for 9.9.9" in p for p in problems)


def test_a_changelog_ahead_of_galaxy_yml_is_refused(tmp_path: Path) -> None:
    copy = collection_copy(tmp_path)
    data = yaml.safe_load((copy / "changelogs/changelog.yaml").read_text())
    data["releases"]["10.0.0"] = {"release_date": "2030-01-01"}
    (copy / "changelogs/changelog.yaml").write_text(yaml.safe_dump(data))
    assert release.check_release(copy) == [
        f"changelogs/changelog.yaml has a newer release 10.0.0 than galaxy.yml's {VERSION}"
    ]


def test_a_stale_changelog_md_is_refused(tmp_path: Path) -> None:
    copy = collection_copy(tmp_path)
    text = (copy / "CHANGELOG.md").read_text()
    (copy / "CHANGELOG.md").write_text(text.replace(f'<a id="v{VERSION.replace(".", "-")}"></a>', ""))
    expected = f"CHANGELOG.md has no section for {VERSION}: run `antsibull-changelog generate`"
    assert release.check_release(copy) == [expected]


def test_a_fragment_left_out_of_the_tagged_release_is_refused(tmp_path: Path) -> None:
    copy = collection_copy(tmp_path)
    (copy / "changelogs/fragments/late-fix.yml").write_text("---\nbugfixes:\n  - A late fix.\n")
    assert release.check_release(copy) == []  # on a branch it is pending work for the next release
    # Fragments of work not released yet may be listed beside it.
    refused = release.check_release(copy, tag=f"v{VERSION}")[-1]
    assert refused.startswith(f"changelog fragments not in release {VERSION}:") and "late-fix.yml" in refused


def test_a_version_that_is_not_semver_is_refused(tmp_path: Path) -> None:
    copy = collection_copy(tmp_path)
    set_galaxy_version(copy, "0.2")
    assert release.check_release(copy, tag="v0.2") == [
        "galaxy.yml version '0.2' is not a semantic version (MAJOR.MINOR.PATCH)"
    ]


def test_semver_order() -> None:
    ordered = ["0.9.0", "0.10.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-rc.1", "1.0.0", "1.0.1"]
    assert sorted(reversed(ordered), key=release.semver_key) == ordered


def test_the_tarball_carries_the_docs_and_no_caches(tmp_path: Path) -> None:
    source = tmp_path / "src/ansible_collections/datatech/mlops"
    shutil.copytree(COLLECTION, source, ignore=shutil.ignore_patterns("output"))
    (source / "plugins/modules/__pycache__").mkdir(exist_ok=True)
    (source / "plugins/modules/__pycache__/gpu_facts.cpython-311.pyc").write_bytes(b"\0")
    (source / "tests/output/junit").mkdir(parents=True)
    (source / "tests/output/junit/result.xml").write_text("<x/>")
    tarball = release.build(tmp_path / "dist", source)
    assert tarball.name == f"datatech-mlops-{VERSION}.tar.gz"
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert {"README.md", "CHANGELOG.md", "meta/runtime.yml", "plugins/modules/gpu_facts.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/output")]
    # The roles' molecule scenarios run only from this checkout (its base config and shared playbooks).
    assert "roles/postgresql/tasks/main.yml" in names and not [n for n in names if "/molecule" in n]


def test_release_notes_are_this_versions_section_only() -> None:
    notes = release.release_notes(COLLECTION, "0.2.0")
    assert notes.startswith('<a id="v0-2-0"></a>\n## v0\\.2\\.0')
    assert "Release Summary" in notes and "v0\\.1\\.0" not in notes
    with pytest.raises(ValueError, match=r"no section for 7\.7\.7"):
        release.release_notes(COLLECTION, "7.7.7")


def test_upload_puts_the_tarball_with_the_job_token(tmp_path: Path) -> None:
    received: dict[str, object] = {}

    class Registry(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            received.update(path=self.path, token=self.headers["JOB-TOKEN"])
            received["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.handle_request, daemon=True).start()
    tarball = tmp_path / "datatech-mlops-1.0.0.tar.gz"
    tarball.write_bytes(b"tarball bytes")
    url = (
        f"http://127.0.0.1:{server.server_port}/api/v4/projects/7/packages/generic/datatech-mlops/1.0.0/{tarball.name}"
    )
    try:
        assert release.upload(tarball, url, "job-token-value") == 201
    finally:
        server.server_close()
    assert received == {
        "path": f"/api/v4/projects/7/packages/generic/datatech-mlops/1.0.0/{tarball.name}",
        "token": "job-token-value",
        "body": b"tarball bytes",
    }


def test_a_refused_upload_says_what_to_check(tmp_path: Path) -> None:
    class Refusing(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.handle_request, daemon=True).start()
    tarball = tmp_path / "datatech-mlops-1.0.0.tar.gz"
    tarball.write_bytes(b"tarball bytes")
    try:
        with pytest.raises(CommandError, match=r"answered HTTP 403 .*: check the URL and that the token may write"):
            release.upload(tarball, f"http://127.0.0.1:{server.server_port}/packages/x", "token")
    finally:
        server.server_close()
    with pytest.raises(ConfigError, match="build it first"):
        release.upload(tmp_path / "missing.tar.gz", "http://127.0.0.1:1/", "token")


@pytest.mark.parametrize("name", ["requirements-consumer.yml", "requirements-tarball.yml"])
def test_the_documented_requirements_name_the_current_release(name: str) -> None:
    entry = yaml.safe_load((ROOT / "collections" / name).read_text())["collections"][0]
    if entry["type"] == "git":
        assert entry["version"] == f"v{VERSION}"
        assert entry["name"].endswith(f".git#/{COLLECTION_PATH}")
    else:
        assert entry["name"].endswith(f"/{VERSION}/datatech-mlops-{VERSION}.tar.gz")


def bare_repository_at_tag(tmp: Path) -> Path:
    """A bare repository holding this working tree (tracked and new files, as they are now), tagged v<version>."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "collections"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    work = tmp / "work"
    for rel in filter(None, listed.split("\0")):
        source, target = ROOT / rel, work / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    identity = ["-c", "user.name=release test", "-c", "user.email=release@test.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "release"], ["tag", f"v{VERSION}"]):
        subprocess.run(["git", "-C", str(work), *args], check=True, capture_output=True)
    bare = tmp / "mlops.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
    return bare


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection installed by ansible-galaxy from a bare git repository at the release tag, into an empty path."""
    tmp = tmp_path_factory.mktemp("release")
    bare = bare_repository_at_tag(tmp)
    dest = tmp / "collections"
    release.install(release.git_requirements(f"git+file://{bare}", f"v{VERSION}"), dest)
    return dest


def test_ansible_galaxy_installs_the_tag_from_git_and_lists_its_version(installed: Path) -> None:
    assert release.installed_versions(installed) == {str(installed / "ansible_collections"): VERSION}
    copy = installed / "ansible_collections/datatech/mlops"
    assert (copy / "roles/postgresql/tasks/main.yml").read_text() == (
        COLLECTION / "roles/postgresql/tasks/main.yml"
    ).read_text()
    # None of Mitogen comes with the collection (the checkout's opt-in is tools/ansible/strategy), nor the checkout's
    # molecule scenarios.
    files = [p for p in copy.rglob("*") if p.is_file()]
    assert not (copy / "plugins/strategy").exists() and not [p for p in files if "molecule" in p.parts]
    assert not [
        p
        for p in files
        if p.suffix == ".py" and re.search(r"^\s*(from|import) (ansible_)?mitogen\b", p.read_text(), re.M)
    ]


def test_the_working_tree_installs_from_its_tarball(tmp_path: Path) -> None:
    release.install_working_tree(tmp_path / "collections", COLLECTION)
    assert release.installed_versions(tmp_path / "collections") == {
        str(tmp_path / "collections/ansible_collections"): VERSION
    }
    assert (tmp_path / "collections/ansible_collections/datatech/mlops/README.md").is_file()


def test_site_playbooks_use_the_installed_copy_and_site_yml_the_checkout(installed: Path, tmp_path: Path) -> None:
    assert release.site_playbooks(ROOT) == [
        "playbooks/foundation.yml",
        "playbooks/backup.yml",
        "playbooks/airflow.yml",
        "playbooks/dags.yml",
    ]
    # An installed copy without the airflow role: the playbooks must miss it, so they use the installed copy.
    broken = tmp_path / "collections"
    shutil.copytree(installed, broken, symlinks=True)
    shutil.rmtree(broken / "ansible_collections/datatech/mlops/roles/airflow")
    # As `mlopsctl release site` runs them: the same runner, only the installed copy on the collections path.
    log = tmp_path / "site.log"
    playbooks = release.site_playbooks(ROOT)
    failed = run_playbook(
        ROOT, playbooks, None, ["--syntax-check"], env=release.ansible_env(broken), log=log, check=False
    )
    assert failed.returncode != 0 and "datatech.mlops.airflow" in log.read_text()
    run_playbook(ROOT, playbooks, None, ["--syntax-check"], env=release.ansible_env(installed), log=log)


def playbook(installed: Path, inventory: Path, base: Path, *args: str) -> str:
    """ansible-playbook with only the installed copy of datatech.mlops on the collections path (the checkout's
    ansible.cfg, which points at ./collections, is not read); returns its output, which must show no failure."""
    cfg = base / "ansible.cfg"
    cfg.write_text("[defaults]\nretry_files_enabled = False\n[ssh_connection]\npipelining = True\n")
    env = {**os.environ, "ANSIBLE_CONFIG": str(cfg), "ANSIBLE_COLLECTIONS_PATH": str(installed)}
    env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(base / "play.yml"), "-e", f"@{base / 'vars.yml'}"]
    result = subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, cwd=base)
    runs = len(list(base.glob("run-*.log")))
    (base / f"run-{runs + 1}.log").write_text(f"$ {' '.join(args)}\n{result.stdout}{result.stderr}")  # for a failure
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def recap(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith(f"{HOST} ") and "ok=" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


PLAY = """---
- name: PostgreSQL from the installed collection
  hosts: db
  become: true
  roles:
    - role: datatech.mlops.postgresql
"""

AIRFLOW_CHECK_PLAY = """---
- name: Airflow from the installed collection, in check mode only
  hosts: db
  become: true
  roles:
    - role: datatech.mlops.airflow
      vars:
        airflow_database_host: 127.0.0.1
        airflow_database_password: release-test-only
        airflow_admin_password: release-test-only
        airflow_jwt_secret: release-test-only
        airflow_api_secret_key: release-test-only
        airflow_fernet_key: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
"""

ROLE_VARS = {
    "postgresql_users": [{"name": "relapp", "password": "release-test-only"}],
    "postgresql_databases": [{"name": "relapp", "owner": "relapp", "schemas": [{"name": "ml"}]}],
    "postgresql_hba_entries": [{"database": "relapp", "user": "relapp", "address": "10.213.97.0/24"}],
}


@pytest.mark.hosts
def test_a_role_from_the_installed_copy_converges_and_check_mode_predicts_it(
    installed: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from mlopsctl.lab.engine import detect_engine
    from mlopsctl.lab.hosts import hosts_down, hosts_up

    base = tmp_path_factory.mktemp("release-host")
    cfg = hosts_config(base, LABEL, "10.213.97.0/24", {HOST: {"groups": ["db"]}})
    engine = detect_engine("auto")
    inventory = base / "inventory/hosts.yml"
    (base / "play.yml").write_text(PLAY)
    (base / "vars.yml").write_text(yaml.safe_dump(ROLE_VARS))
    try:
        hosts_up(engine, cfg, inventory, base / "logs")
        from_copy = str(installed / "ansible_collections/datatech/mlops/roles/postgresql/tasks")

        # A fresh host in check mode: the install is reported, nothing fails, and the parts that need it do not run.
        output = playbook(installed, inventory, base, "--check")
        assert recap(output)["failed"] == 0 and recap(output)["changed"] >= 1
        assert "/install.yml" in output and "/data_dir.yml" not in output
        (base / "play.yml").write_text(AIRFLOW_CHECK_PLAY)
        output = playbook(installed, inventory, base, "--check")
        assert recap(output)["failed"] == 0 and recap(output)["changed"] >= 1
        assert "/install.yml" in output and "/configure.yml" not in output
        (base / "play.yml").write_text(PLAY)

        converge = playbook(installed, inventory, base)
        assert f"included: {from_copy}/install.yml" in converge and str(COLLECTION) not in converge
        assert recap(converge)["failed"] == 0

        # Converged: check mode with --diff reports nothing to change.
        assert recap(playbook(installed, inventory, base, "--check", "--diff"))["changed"] == 0

        # A database, a role and a grant the run would create: check mode reports them and fails nowhere.
        more = {
            **ROLE_VARS,
            "postgresql_users": [*ROLE_VARS["postgresql_users"], {"name": "relnew", "password": "release-test-only"}],
            "postgresql_databases": [
                *ROLE_VARS["postgresql_databases"],
                {"name": "relnew", "owner": "relnew", "schemas": [{"name": "raw"}], "extensions": ["pgcrypto"]},
            ],
            "postgresql_privileges": [
                {"database": "relnew", "roles": "relnew", "type": "database", "privs": "CONNECT"}
            ],
        }
        (base / "vars.yml").write_text(yaml.safe_dump(more))
        planned = recap(playbook(installed, inventory, base, "--check"))
        assert planned["failed"] == 0 and planned["changed"] >= 2

        # One part by its tag: only the settings check (with its pg_strom decision) and that part run.
        (base / "vars.yml").write_text(yaml.safe_dump(ROLE_VARS))
        hba_only = playbook(installed, inventory, base, "--tags", "postgresql_hba")
        included = set(re.findall(r"included: \S+/tasks/(\w+)\.yml", hba_only))
        assert included == {"preflight", "pg_strom_preflight", "hba"}
    finally:
        hosts_down(engine, cfg, inventory)


@pytest.mark.parametrize(
    "url",
    ["http://registry.example/packages/x", "file:///tmp/x", "ftp://registry.example/x", "https:///x", "registry/x"],
)
def test_the_job_token_goes_only_to_https_or_loopback(url: str, tmp_path: Path) -> None:
    tarball = tmp_path / "datatech-mlops-0.2.0.tar.gz"
    tarball.write_bytes(b"x")
    with pytest.raises(ConfigError, match="sent only to an https:// URL"):
        release.upload(tarball, url, "token")


@pytest.mark.parametrize(
    ("text", "message"),
    [("name: mlops\n", "has no version"), ("version: [\n", "cannot be read as YAML"), ("- a\n", "has no version")],
)
def test_a_galaxy_yml_without_a_version_is_one_error(text: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "galaxy.yml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        release.galaxy_version(tmp_path)
