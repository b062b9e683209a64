"""Drive a real headless chromium from tests: the DOM after scripts ran, and screenshots.

Usage (``tests/`` is on ``sys.path``; ``pythonpath = tests`` in setup.cfg)::

    from browser import chromium_binary, dump_dom, screenshot

    html = dump_dom("file:///tmp/report.html", user_data_dir=tmp_path / "chrome")
    screenshot(url, ARTIFACTS / "report.png", user_data_dir=tmp_path / "chrome")

Each call starts one chromium process and waits for it (``subprocess.run`` with a
timeout, which kills it if it hangs), so nothing outlives the call. Flags keep chromium
off the network: no background networking, component updates, sync or QUIC.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

#: Where tests keep screenshots (git-ignored).
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_binary() -> str | None:
    """The chromium executable, or None when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _run(args: list[str], user_data_dir: Path, timeout: float) -> subprocess.CompletedProcess:
    binary = chromium_binary()
    if binary is None:
        raise RuntimeError("no chromium binary installed")
    Path(user_data_dir).mkdir(parents=True, exist_ok=True)
    cmd = [binary, *_FLAGS, f"--user-data-dir={user_data_dir}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def dump_dom(
    url: str,
    *,
    user_data_dir: Path,
    budget_ms: int = 5000,
    timeout: float = 90,
    size: str | None = None,
) -> str:
    """The serialized DOM of ``url`` after its scripts ran for ``budget_ms`` of virtual time
    (in a window of ``size``, "W,H", when given)."""
    window = [f"--window-size={size}"] if size else []
    return _run(
        [f"--virtual-time-budget={budget_ms}", *window, "--dump-dom", url], user_data_dir, timeout
    ).stdout


def screenshot(
    url: str,
    path: Path,
    *,
    user_data_dir: Path,
    budget_ms: int = 5000,
    size: str = "1400,1000",
    timeout: float = 90,
) -> Path:
    """Save a PNG screenshot of ``url`` at ``path`` (its folder is created) and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            f"--virtual-time-budget={budget_ms}",
            f"--screenshot={path}",
            f"--window-size={size}",
            url,
        ],
        user_data_dir,
        timeout,
    )
    if not path.is_file() or path.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot at {path}")
    return path


class _Collector:
    """Collect (tag, attrs, text) of every element of an HTML document (stdlib parser)."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        self.elements: list[dict] = []
        stack: list[dict] = []
        elements = self.elements

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                el = {"tag": tag, "attrs": dict(attrs), "text": ""}
                elements.append(el)
                if tag not in ("br", "img", "meta", "link", "input", "hr", "path", "line"):
                    stack.append(el)

            def handle_endtag(self, tag):
                while stack:
                    if stack.pop()["tag"] == tag:
                        break

            def handle_data(self, data):
                for el in stack:
                    el["text"] += data

        self.parser = Parser()


def elements(html: str, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[dict]:
    """Elements of ``html`` (dicts with tag, attrs, text) matching tag, a class and attrs."""
    collector = _Collector()
    collector.parser.feed(html)
    found = []
    for el in collector.elements:
        if tag and el["tag"] != tag:
            continue
        if cls and cls not in (el["attrs"].get("class") or "").split():
            continue
        if any(el["attrs"].get(k.replace("_", "-")) != v for k, v in attrs.items()):
            continue
        found.append(el)
    return found
