"""Behaviour 4: with several gunicorn workers, Redis admits exactly the limit under concurrent
login attempts; memory:// (one counter per worker) admits more: the Don't, demonstrated."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reference.conftest import BAD_LOGIN, LOGIN
from tests.support.http import request

WORKERS = 3
ATTEMPTS = 30


def concurrent_logins(port: int) -> Counter:
    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        responses = pool.map(lambda _: request(port, "POST", LOGIN, json_body=BAD_LOGIN), range(ATTEMPTS))
        return Counter(r.status for r in responses)


@pytest.mark.slow
def test_redis_storage_admits_exactly_the_limit_across_workers(redis_server, gunicorn_server):
    server = gunicorn_server(workers=WORKERS, RATELIMIT_STORAGE_URI=redis_server.url)
    assert concurrent_logins(server.port) == Counter({401: 10, 429: ATTEMPTS - 10})


@pytest.mark.slow
def test_memory_storage_over_admits_across_workers(gunicorn_server):
    # Development config: memory:// storage (production refuses to start with it).
    server = gunicorn_server(workers=WORKERS, app_spec="app:create_app('development')")
    statuses = concurrent_logins(server.port)
    assert statuses[401] > 10, statuses  # each worker counted on its own
    assert set(statuses) <= {401, 429}
