"""Headless Chromium driven over the W3C WebDriver protocol (Debian's chromium and chromium-driver): the docs test
reads the site with it and `mlopsctl screenshots` photographs the demo's Airflow UI. No client library needed."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mlopsctl.errors import CommandError

BINARIES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


class Browser:
    """One WebDriver session of chromedriver."""

    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

    def __init__(self, driver_url: str, session: str) -> None:
        self.base = f"{driver_url}/session/{session}"

    @staticmethod
    def call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["value"]

    def open(self, url: str) -> None:
        self.call(f"{self.base}/url", "POST", {"url": url})

    def js(self, script: str, *args: Any) -> Any:
        return self.call(f"{self.base}/execute/sync", "POST", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        return str(self.call(f"{self.base}/element", "POST", {"using": "css selector", "value": css})[self.ELEMENT])

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self.call(f"{self.base}/element/{element}/click", "POST", {})
        self.call(f"{self.base}/element/{element}/value", "POST", {"text": text})

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call(f"{self.base}/screenshot")))

    def wait_for(self, script: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.25)
        raise CommandError(f"timed out after {timeout:.0f}s waiting in the browser for: {script}")


def chromium() -> tuple[str, str] | None:
    """chromedriver and the Chromium binary it drives, or None where Debian's packages are not installed."""
    driver = shutil.which("chromedriver")
    binary = next((b for b in BINARIES if Path(b).is_file()), None)
    return (driver, binary) if driver and binary else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def headless(size: str = "1280,900", extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """A fresh browser profile in a window of `size`, closed (and its profile removed) afterwards."""
    found = chromium()
    if found is None:
        raise CommandError("a headless browser needs Debian's chromium and chromium-driver: apt-get install them")
    driver, binary = found
    port = free_port()
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver_url = f"http://127.0.0.1:{port}"
    profile = tempfile.mkdtemp(prefix="mlops-chromium-")
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                Browser.call(f"{driver_url}/status")
                break
            time.sleep(0.1)
        args = [*ARGS, f"--user-data-dir={profile}", f"--window-size={size}", *extra_args]
        capabilities = {"browserName": "chrome", "goog:chromeOptions": {"binary": binary, "args": args}}
        session = Browser.call(f"{driver_url}/session", "POST", {"capabilities": {"alwaysMatch": capabilities}})
        browser = Browser(driver_url, session["sessionId"])
        try:
            yield browser
        finally:
            Browser.call(browser.base, "DELETE")
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
