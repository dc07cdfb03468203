"""A real browser against the real stack: Debian's Chromium (headless, through chromedriver) loads a
frontend page from one origin and calls the reference app, served by gunicorn with a real Redis,
on another. Everything listens on 127.0.0.1 on random ports and is stopped by PID.

Three servers besides the browser:
- the API: gunicorn + reference/gunicorn.conf.py + ``app:create_app()`` with FLASK_CONFIG=production,
  CORS_ORIGINS set to the allowed frontend's origin, limits in a throwaway redis-server;
- the allowed frontend, ``http://127.0.0.1:<port>``: python -m http.server serving ./frontend;
- the other frontend, ``http://localhost:<port>``: the same files from another server. Chromium
  treats 127.0.0.1 and localhost as different origins; both are loopback, so Private Network
  Access rules (which only restrict requests towards a MORE private address space) do not apply.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import (
    ManagedProcess,
    RedisServer,
    free_port,
    gunicorn_argv,
    reference_env,
    wait_until,
)

FRONTEND_DIR = Path(__file__).parent / "frontend"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # we run as root in a container; Chromium's sandbox refuses to start as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",  # no update checks, safe-browsing lists, metrics uploads
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
]


def _missing_browser_tooling() -> str | None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        return f"{' and '.join(missing)} not installed: run `bash dev/setup.sh chromium` (apt, as root)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is missing: run `bash dev/setup.sh` (requirements-dev.txt)"
    return None


@pytest.fixture(scope="module", autouse=True)
def browser_tooling():
    """Chromium, chromedriver and selenium, or a clear message: a failure when CI=true (a broken
    set-up must not pass quietly), a skip on a developer machine without them."""
    problem = _missing_browser_tooling()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run: {problem}", pytrace=False)
    if problem:
        pytest.skip(problem)


@dataclass
class Api:
    process: ManagedProcess
    redis: RedisServer

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.process.port}"

    def log_mark(self) -> int:
        """A position in the server's output; ``requests_since`` reads the request log after it."""
        return len(self.process.output().splitlines())

    def requests_since(self, mark: int) -> list[dict]:
        """The app's JSON request-log lines ("request completed") written after ``mark``."""
        entries = []
        for line in self.process.output().splitlines()[mark:]:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # gunicorn's own start-up lines
            if isinstance(entry, dict) and entry.get("message") == "request completed":
                entries.append(entry)
        return entries

    def wait_for_requests(self, mark: int, count: int) -> list[dict]:
        """The request log is written when a response is closed, just after the browser has it."""
        def enough():
            entries = self.requests_since(mark)
            return entries if len(entries) >= count else None

        return wait_until(enough, timeout=10, what=f"{count} request-log lines")


@dataclass
class Frontend:
    process: ManagedProcess
    host: str

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.process.port}"

    @property
    def page(self) -> str:
        return f"{self.origin}/index.html"


def _frontend(host: str) -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
            "--directory", str(FRONTEND_DIR)]
    return ManagedProcess(argv=argv, port=port).start().wait_ready()


@pytest.fixture(scope="module")
def allowed_frontend():
    process = _frontend("127.0.0.1")
    try:
        yield Frontend(process, "127.0.0.1")
    finally:
        process.stop()


@pytest.fixture(scope="module")
def other_frontend():
    process = _frontend("localhost")
    try:
        yield Frontend(process, "localhost")
    finally:
        process.stop()


@pytest.fixture(scope="module")
def api(allowed_frontend):
    redis = RedisServer().start().wait_ready()
    port = free_port()
    env = reference_env(CORS_ORIGINS=allowed_frontend.origin, RATELIMIT_STORAGE_URI=redis.url)
    # Two workers: the limit only holds at exactly 10 if both count in the same Redis.
    process = ManagedProcess(argv=gunicorn_argv("app:create_app()", port, "--workers", "2"),
                             port=port, env=env)
    try:
        process.start().wait_ready()
        yield Api(process, redis)
    finally:
        process.stop()
        redis.stop()


@pytest.fixture
def fresh_limits(api):
    """Every test starts with no rate-limit counters (all requests come from 127.0.0.1)."""
    assert api.redis.command("FLUSHALL").startswith(b"+OK")
    return api


class Browser:
    """Thin wrapper: open a page, run one ``window.probe`` function in it, read the console."""

    def __init__(self, driver):
        self.driver = driver

    def open(self, url: str) -> None:
        self.driver.get(url)
        wait_until(lambda: self.driver.execute_script("return typeof window.probe === 'object'"),
                   timeout=10, what=f"probe.js on {url}")

    def run(self, function: str, *args):
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.probe[arguments[0]](...arguments[1]).then(done,"
            " (e) => done({harnessError: String(e)}));",
            function, list(args),
        )

    def console(self) -> list[str]:
        """Console messages since the last call (Chromium logs CORS failures there)."""
        return [entry["message"] for entry in self.driver.get_log("browser")]


def _pids_using(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Both paths are given, so Selenium Manager has nothing to look up or download.
    os.environ.setdefault("SE_OFFLINE", "true")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    fd, driver_log = tempfile.mkstemp(prefix="chromedriver-", suffix=".log")
    os.close(fd)
    service = Service(executable_path=CHROMEDRIVER, port=free_port(), log_output=driver_log)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_script_timeout(60)
        yield Browser(driver)
    finally:
        driver.quit()  # closes Chromium, then stops chromedriver by its PID
        # Anything of that browser still alive (it is found by its unique profile dir) goes by PID.
        for pid in _pids_using(profile):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(profile, ignore_errors=True)
        os.unlink(driver_log)
