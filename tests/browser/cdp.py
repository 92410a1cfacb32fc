"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
JSON messages separated by NUL on file descriptors 3 and 4) -- no port, no extra package.

`open_page(path)` loads a file and returns what a test judges: every request the page made,
every console error or exception, facts read from the DOM, and a screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Nothing a page asks for may resolve to a real host; loopback stays reachable so a test can
# prove that a page which does reach out is caught.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
         "--remote-debugging-pipe", "--window-size=1280,900"]


@dataclass
class PageResult:
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dom: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""


class Chromium:
    def __init__(self, binary: str, profile: Path) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads our commands, fd 4 writes replies
            high_in, high_out = os.dup(to_child), os.dup(from_child)  # 3/4 may be taken
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        # pass_fds keeps the child's 3 and 4 open (subprocess closes the rest after wire()).
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._receive(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)
        raise TimeoutError(f"no reply to {method} in {timeout}s")

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = [e for e in self.events if e.get("method") == method]
        while not seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} in {timeout}s")
            event = self._receive(deadline)
            self.events.append(event)
            seen = [event] if event.get("method") == method else []
        return seen[0]

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                raise TimeoutError("Chromium stopped answering")
            ready, _, _ = select.select([self._read], [], [], min(remaining, 1.0))
            if not ready:
                continue
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._write)
        os.close(self._read)


DOM_FACTS = """(() => ({
  title: document.title,
  images: [...document.images].map(i => ({src: i.src.slice(0, 22), width: i.naturalWidth,
                                          alt: i.alt})),
  tables: document.querySelectorAll('table').length,
  text: document.body.innerText,
}))()"""


def open_page(path: Path, binary: str | None = None) -> PageResult:
    """Load `path` in a fresh headless Chromium and report on it. Raises if Chromium is
    missing or does not load the page."""
    chromium = binary or shutil.which("chromium")
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (make test-browser installs it)")
    with tempfile.TemporaryDirectory(prefix="drctl-chromium-") as profile:
        browser = Chromium(chromium, Path(profile))
        try:
            return _load(browser, path)
        finally:
            browser.close()


def _load(browser: Chromium, path: Path) -> PageResult:
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target,
                                                     "flatten": True})["sessionId"]
    for domain in ("Network", "Runtime", "Log", "Page"):
        browser.send(f"{domain}.enable", session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired")
    facts = browser.send("Runtime.evaluate", {"expression": DOM_FACTS, "returnByValue": True},
                         session=session)["result"]["value"]
    shot = browser.send("Page.captureScreenshot", {"format": "png",
                                                   "captureBeyondViewport": True},
                        session=session)
    return PageResult(_requests(browser.events), _errors(browser.events), facts,
                      base64.b64decode(shot["data"]))


def _requests(events: list[dict[str, Any]]) -> list[str]:
    return [e["params"]["request"]["url"] for e in events
            if e.get("method") == "Network.requestWillBeSent"]


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
    return found
