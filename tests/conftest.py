"""Fixtures shared by every test package: a real Redis server per test that needs one."""

from __future__ import annotations

import sys

import pytest

from tests.support.servers import REFERENCE_DIR, RedisServer

# The reference app is imported as the top-level package ``app``, exactly as a user's project would.
if str(REFERENCE_DIR) not in sys.path:
    sys.path.insert(0, str(REFERENCE_DIR))


@pytest.fixture
def redis_server():
    """A fresh redis-server on a random 127.0.0.1 port, stopped by PID after the test."""
    server = RedisServer().start().wait_ready()
    try:
        yield server
    finally:
        server.stop()
