"""Headless Debian chromium driven over the DevTools protocol (no Playwright, no download).

The dashboard is a single-page app that draws the run DAG in a web worker; a fixed
``--virtual-time-budget`` does not wait for that, so pages are polled until their text shows what a
test waits for. Screenshots are taken the same way a person would see the page.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import websocket

BINARY = Path("/usr/bin/chromium")
#: Debian chromium's headless flags (../shared/notes/stack-facts.md, "Dashboard"); no background traffic.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,900",
)


class Chromium:
    """One headless chromium with a fresh profile, one tab, ended with its process group."""

    def __init__(self, log: Path) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="pmlops-chromium-"))
        self.process = subprocess.Popen(
            [str(BINARY), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
            start_new_session=True,
        )
        self._ids = itertools.count(1)
        self._ws: Any = None
        try:
            port = self._devtools_port()
            pages = [
                t for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json() if t["type"] == "page"
            ]
            self._ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, seconds: float = 30) -> int:
        active = self.profile / "DevToolsActivePort"
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.process.returncode}")
            if active.exists() and active.read_text().strip():
                return int(active.read_text().split()[0])
            time.sleep(0.2)
        raise TimeoutError(f"chromium opened no DevTools port within {seconds} s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events in between are skipped)."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def text(self) -> str:
        """The page's visible text."""
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def dom(self) -> str:
        """The page's current DOM, serialised (what ``--dump-dom`` prints)."""
        return str(self.evaluate("document.documentElement.outerHTML") or "")

    def load(self, url: str, ready: Callable[[str], bool], seconds: float = 90) -> str:
        """Open ``url`` and wait until ``ready(visible text)``; return the text. Fails with what was shown."""
        self.call("Page.navigate", url=url)
        deadline = time.time() + seconds
        text = ""
        while time.time() < deadline:
            text = self.text()
            if ready(text):
                time.sleep(1)  # let the last frame paint before a screenshot
                return self.text()
            time.sleep(0.5)
        raise AssertionError(f"{url} never showed what the test waits for; the page showed:\n{text[:1500]}")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
