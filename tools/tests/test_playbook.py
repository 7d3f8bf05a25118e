"""The one ansible-playbook runner: the per-host result comes from Ansible's own stats (the checkout's callback
plugin), not from its output, which still streams to the terminal. Real runs on localhost (no hosts booted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mlopsctl.errors import CommandError
from mlopsctl.playbook import HostStats, PlaybookResult, failure_message, parse_stats, read_stats, run_playbook

LOCAL = ["-c", "local", "-e", f"ansible_python_interpreter={sys.executable}"]

TWO_TASKS = """---
- name: Two tasks on localhost
  hosts: all
  gather_facts: false
  tasks:
    - name: A file is written (changed the first time only)
      ansible.builtin.copy:
        content: "stats\\n"
        dest: "{{ target }}"
        mode: "0644"
    - name: A message (never a change)
      ansible.builtin.debug:
        msg: written
"""

FAILING = """---
- name: One task that fails
  hosts: all
  gather_facts: false
  tasks:
    - name: It fails
      ansible.builtin.fail:
        msg: on purpose
"""


def test_the_stats_are_parsed_per_host_and_unknown_counts_ignored() -> None:
    text = json.dumps({"hosts": {"db01": {"ok": 5, "changed": 2, "failures": 0, "future_count": 9}, "air01": {}}})
    hosts = parse_stats(text, "stats.json")
    assert hosts == {"db01": HostStats(ok=5, changed=2), "air01": HostStats()}
    result = PlaybookResult("site.yml", 0, 1.0, {**hosts, "bak01": HostStats(ok=1, changed=3)})
    assert result.ok and result.changed == 5 and result.failed_hosts == []


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"hosts": []}', '{"hosts": {"db01": {"ok": "x"}}}'])
def test_stats_that_the_plugin_did_not_write_are_refused(text: str) -> None:
    with pytest.raises(CommandError, match=r"stats.json is not what tools/ansible/callback/mlops_stats.py writes"):
        parse_stats(text, "stats.json")


def test_no_stats_file_means_no_host_was_reached(tmp_path: Path) -> None:
    assert read_stats(tmp_path / "missing.json") == {}


def test_a_failure_names_the_failed_hosts_and_what_to_do() -> None:
    hosts = {"db01": HostStats(ok=3, failures=1), "air01": HostStats(ok=4), "bak01": HostStats(unreachable=1)}
    message = failure_message(PlaybookResult("site.yml", 2, 9.0, hosts))
    assert message == (
        "site.yml failed (exit 2) on db01, bak01; the failed task is printed above. "
        "Fix it and run the same command again: every step is idempotent."
    )


def test_a_missing_inventory_file_says_to_bring_the_hosts_up(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="run `mlopsctl hosts up` first"):
        run_playbook(ROOT, "site.yml", tmp_path / "hosts.yml")


def test_a_real_run_streams_ansibles_output_and_counts_changes_from_the_stats(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    play = tmp_path / "two.yml"
    play.write_text(TWO_TASKS)
    target = tmp_path / "written.txt"
    extra = [*LOCAL, "-e", f"target={target}"]

    first = run_playbook(ROOT, str(play), "localhost,", extra)
    assert first.hosts == {"localhost": HostStats(ok=2, changed=1)} and first.changed == 1
    out = capfd.readouterr().out
    assert "TASK [A file is written" in out and "PLAY RECAP" in out  # Ansible's own output, to the terminal
    assert target.read_text() == "stats\n"

    second = run_playbook(ROOT, str(play), "localhost,", extra)
    assert second.hosts == {"localhost": HostStats(ok=2, changed=0)} and second.changed == 0
    capfd.readouterr()

    # An output callback that prints no recap: the counts still come, from the stats.
    target.unlink()
    quiet = run_playbook(ROOT, str(play), "localhost,", extra, env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"})
    assert quiet.changed == 1 and quiet.hosts["localhost"].ok == 2
    assert "PLAY RECAP" not in capfd.readouterr().out


def test_a_failed_run_is_read_from_the_stats_and_raises_with_the_host_named(tmp_path: Path) -> None:
    play = tmp_path / "failing.yml"
    play.write_text(FAILING)
    log = tmp_path / "logs/failing.log"
    failed = run_playbook(ROOT, str(play), "localhost,", LOCAL, log=log, check=False)
    assert failed.returncode == 2 and failed.hosts["localhost"].failures == 1 and failed.failed_hosts == ["localhost"]
    assert "on purpose" in log.read_text()  # with a log, Ansible's output goes there
    with pytest.raises(CommandError, match=rf"failed \(exit 2\) on localhost; its output is in {log}, which ends:"):
        run_playbook(ROOT, str(play), "localhost,", LOCAL, log=log)


def play_and_inventory(tmp_path: Path, inventory_text: str) -> tuple[Path, Path]:
    play = tmp_path / "two.yml"
    play.write_text(TWO_TASKS)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(inventory_text)
    return play, inventory


@pytest.mark.parametrize("content", ["", "all:\n  children: {}\n"])
def test_an_inventory_without_hosts_is_an_error_not_a_run_that_did_nothing(tmp_path: Path, content: str) -> None:
    play, inventory = play_and_inventory(tmp_path, content)
    with pytest.raises(CommandError, match=rf"ran on no host: the inventory \({inventory}\) has none of the hosts"):
        run_playbook(ROOT, str(play), inventory, LOCAL)


@pytest.mark.parametrize("content", ["all: [unclosed\n", "all:\n  hosts: 7\n"])
def test_an_inventory_ansible_cannot_read_fails_the_run(tmp_path: Path, content: str) -> None:
    play, inventory = play_and_inventory(tmp_path, content)
    result = run_playbook(ROOT, str(play), inventory, LOCAL, check=False)
    assert result.returncode != 0 and not result.hosts
