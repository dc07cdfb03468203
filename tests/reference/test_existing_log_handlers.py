"""Issue 16 item 9: an app that already configured a console handler on the root logger (not via
dictConfig) keeps it, switched to JSON with the request ID: no second handler, no line printed
twice, also when configure_request_logging runs twice or a second app is created.

Each case runs in its own interpreter: the root logger is process-wide state, and pytest's own
capture handlers on it must not be part of what is tested."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.servers import REFERENCE_DIR

SECRET = "tok-77c1e0d2"

SCRIPT = """
import logging, sys
{setup}
from app import create_app
from app.middleware.logging import configure_request_logging

app = create_app("testing")

@app.get("/api/hello")
def hello():
    logging.getLogger("views").info("hello from a view")
    return {{"ok": True}}

configure_request_logging(app)  # configured twice
second = create_app("testing")  # and a second app in the same process
for client in (app.test_client(), second.test_client()):
    client.get("/api/health?token={secret}").close()
app.test_client().get("/api/hello").close()
print("ROOT_HANDLERS", len(logging.getLogger().handlers), file=sys.__stdout__ if {to_stderr} else sys.stderr)
"""

SETUPS = {
    "basicConfig to stderr": ("logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')", True),
    "StreamHandler to stdout": ("root = logging.getLogger(); root.setLevel(logging.INFO); "
                                "root.addHandler(logging.StreamHandler(sys.stdout))", False),
}


@pytest.mark.parametrize("setup", SETUPS)
def test_an_existing_console_handler_is_reused_not_doubled(setup):
    code, to_stderr = SETUPS[setup]
    script = SCRIPT.format(setup=code, secret=SECRET, to_stderr=to_stderr)
    done = subprocess.run([sys.executable, "-c", script], cwd=REFERENCE_DIR, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(REFERENCE_DIR), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    # The app's handler writes where it wrote before; the other stream carries only our marker.
    logs, other = (done.stderr, done.stdout) if to_stderr else (done.stdout, done.stderr)
    assert other.strip() == "ROOT_HANDLERS 1", (other, logs)
    records = [json.loads(line) for line in logs.splitlines()]  # every line is one JSON object
    requests = [(r["path"], r["status"]) for r in records if r["logger"] == "request"]
    assert requests == [("/api/health", 200), ("/api/health", 200), ("/api/hello", 200)], logs
    [hello] = [r for r in records if r["message"] == "hello from a view"]
    [hello_request] = [r for r in records if r["logger"] == "request" and r["path"] == "/api/hello"]
    assert hello["request_id"] == hello_request["request_id"]
    assert SECRET not in logs


DICTCONFIG_SCRIPT = """
import logging, logging.config, sys
from app import create_app  # imports the middleware: the 'request' logger exists from here on
from app.middleware.logging import configure_request_logging

# The app's own set-up, as whoogle-search has it: logging.config.dictConfig's default
# disable_existing_loggers=True disables every logger that exists, the request log's included.
logging.config.dictConfig({{"version": 1, "disable_existing_loggers": True, "root": {{"level": "INFO"}}}})
app = create_app("testing")  # configure_request_logging runs inside, after the dictConfig
{again}
app.test_client().get("/api/health?token={secret}").close()
# the middleware's own warnings (storage failures) must not be silenced either
for name in ("app.middleware.rate_limiting", "app.middleware.cluster_storage"):
    logging.getLogger(name).warning("still heard")
"""


@pytest.mark.parametrize("again", ["", "configure_request_logging(app)"])
def test_a_dictconfig_that_disables_existing_loggers_does_not_silence_the_request_log(again):
    """The app's dictConfig ran first, as adapting.md asks: configure_request_logging must then
    re-enable the loggers it owns, or the app writes no request line at all, silently."""
    script = DICTCONFIG_SCRIPT.format(secret=SECRET, again=again)
    done = subprocess.run([sys.executable, "-c", script], cwd=REFERENCE_DIR, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(REFERENCE_DIR), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    request_line, *warnings = records
    assert (request_line["logger"], request_line["path"], request_line["status"]) == ("request", "/api/health", 200)
    assert [(r["logger"], r["message"]) for r in warnings] == [
        ("app.middleware.rate_limiting", "still heard"), ("app.middleware.cluster_storage", "still heard")
    ]
    assert SECRET not in done.stderr
