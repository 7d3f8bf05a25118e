"""Running commands with visible progress: steps with timings, long ones with a heartbeat."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mlopsctl.errors import CommandError


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def step(title: str) -> Iterator[None]:
    start = time.monotonic()
    say(f"==> {title}")
    yield
    say(f"    done in {time.monotonic() - start:.1f}s")


def run(cmd: Sequence[str], check: bool = True, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(cmd), capture_output=True, text=True, input=input_text)
    if check and result.returncode != 0:
        tail = (result.stderr or result.stdout).strip()[-1500:]
        raise CommandError(f"`{' '.join(cmd[:4])} ...` failed (exit {result.returncode}):\n{tail}")
    return result


def run_long(cmd: Sequence[str], log: Path, what: str, hint: str, every: float = 10.0) -> None:
    """Run a slow command into a log file and print the latest line of it every few seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, text=True)
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(every):
                lines = log.read_text(errors="replace").strip().splitlines()
                last = lines[-1][:100] if lines else ""
                say(f"    ... {what}: {time.monotonic() - start:.0f}s  {last}")

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        code = proc.wait()
        stop.set()
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise CommandError(f"{what} failed (exit {code}); full log: {log}\n{tail}\n{hint}")
