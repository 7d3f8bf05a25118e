"""source_checkout against real git repositories on disk: sparse and partial, pinned, and a mirror missing a file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.datatech.mlops.plugins.modules import source_checkout


def sh(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def upstream(tmp_path: Path) -> dict:
    """A release v1 with src/, a top-level Makefile and a large test file, served from a bare repository."""
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src/main.c").write_text("int main(void) { return 0; }\n")
    (work / "Makefile.common").write_text("VERSION = 1\n")
    (work / "test/data").mkdir(parents=True)
    (work / "test/data/big.sql").write_text("INSERT INTO t VALUES (1);\n" * 1000)
    sh("git", "init", "-q", "-b", "main", str(work))
    sh("git", "add", ".", cwd=work)
    sh("git", "commit", "-q", "-m", "release", cwd=work)
    sh("git", "tag", "-a", "v1", "-m", "v1", cwd=work)
    bare = tmp_path / "mirror.git"
    sh("git", "clone", "-q", "--bare", str(work), str(bare))
    sh("git", "config", "uploadpack.allowFilter", "true", cwd=bare)
    return {"work": work, "bare": bare, "commit": sh("git", "rev-parse", "v1^{commit}", cwd=work)}


def run(args: dict, capsys: pytest.CaptureFixture) -> tuple[int, dict]:
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        source_checkout.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_only_the_build_paths_are_checked_out_and_a_second_run_changes_nothing(upstream, tmp_path, capsys) -> None:
    dest = tmp_path / "src/pg"
    args = {"repo": str(upstream["bare"]), "version": "v1", "commit": upstream["commit"], "dest": str(dest)}
    args["paths"] = ["src"]
    code, result = run(args, capsys)
    assert code == 0 and result["changed"] and result["commit"] == upstream["commit"]
    assert (dest / "src/main.c").is_file() and (dest / "Makefile.common").is_file()
    assert not (dest / "test").exists()
    # Build outputs are untracked files: they do not make the checkout differ.
    (dest / "src/main.o").write_bytes(b"\0")
    code, again = run(args, capsys)
    assert code == 0 and not again["changed"] and (dest / "src/main.o").exists()


def test_a_mirror_missing_a_file_outside_the_paths_still_serves_them(upstream, tmp_path, capsys) -> None:
    blob = sh("git", "rev-parse", "v1:test/data/big.sql", cwd=upstream["work"])
    loose = upstream["bare"] / "objects" / blob[:2] / blob[2:]
    if not loose.exists():
        pytest.skip("the test file's blob was packed by this git version")
    loose.unlink()
    dest = tmp_path / "pg"
    args = {"repo": str(upstream["bare"]), "version": "v1", "commit": upstream["commit"], "dest": str(dest)}
    code = run({**args, "paths": ["src"]}, capsys)[0]
    assert code == 0 and (dest / "src/main.c").is_file()


def test_a_moved_tag_is_refused_and_nothing_is_left(upstream, tmp_path, capsys) -> None:
    work = upstream["work"]
    (work / "src/main.c").write_text("int main(void) { return 1; }\n")
    sh("git", "commit", "-q", "-am", "tampered", cwd=work)
    sh("git", "tag", "-f", "-a", "v1", "-m", "moved", cwd=work)
    sh("git", "push", "-q", "--force", str(upstream["bare"]), "refs/tags/v1", cwd=work)
    dest = tmp_path / "pg"
    args = {"repo": str(upstream["bare"]), "version": "v1", "commit": upstream["commit"], "dest": str(dest)}
    code, result = run({**args, "paths": ["src"]}, capsys)
    assert code == 1 and "not the pinned " + upstream["commit"] in result["msg"]
    assert "nothing was built" in result["msg"] and not dest.exists()


def test_a_changed_file_is_checked_out_again(upstream, tmp_path, capsys) -> None:
    dest = tmp_path / "pg"
    args = {"repo": str(upstream["bare"]), "version": "v1", "commit": upstream["commit"], "dest": str(dest)}
    run({**args, "paths": ["src"]}, capsys)
    (dest / "src/main.c").write_text("tampered\n")
    code, result = run({**args, "paths": ["src"]}, capsys)
    assert code == 0 and result["changed"]
    assert (dest / "src/main.c").read_text() == "int main(void) { return 0; }\n"


def test_check_mode_reports_a_clone_and_makes_none(upstream, tmp_path, capsys) -> None:
    dest = tmp_path / "pg"
    args = {"repo": str(upstream["bare"]), "version": "v1", "commit": upstream["commit"], "dest": str(dest)}
    code, result = run({**args, "_ansible_check_mode": True}, capsys)
    assert code == 0 and result["changed"] and not dest.exists()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"commit": "v1"}, "is not a full 40-character commit id"),
        ({"dest": "/"}, "must be an absolute directory other than /"),
        ({"version": "v9"}, "could not be checked out"),
    ],
)
def test_bad_input_is_one_clear_line(upstream, tmp_path, capsys, changes, words) -> None:
    args = {"repo": str(upstream["bare"]), "version": "v1", "commit": upstream["commit"], "dest": str(tmp_path / "pg")}
    code, result = run({**args, **changes}, capsys)
    assert code == 1 and words in result["msg"] and "\n" not in result["msg"]
