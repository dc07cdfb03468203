"""Scale-out: two gunicorn instances (2 workers each) share limits on Redis Sentinel and on Redis
Cluster, and a dead primary or node never turns into a 500.

Each topology starts once per module (tests/support/topologies.py); each test uses fresh client
addresses (X-Forwarded-For behind TRUSTED_PROXY_COUNT=1), so tests never share a counter.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from limits import parse

from tests.reference.conftest import BAD_LOGIN, LOGIN, parse_log_lines, request_lines
from tests.support.http import request
from tests.support.servers import REFERENCE_DIR, REPO_ROOT, wait_until
from tests.support.topologies import ClusterTopology, SentinelTopology

PLAIN_APP = "tests.support.reference_apps:with_plain_route()"  # + GET /api/plain: default limit only
PYTHONPATH = f"{REFERENCE_DIR}{os.pathsep}{REPO_ROOT}"
PASSWORD = "p@ss:word"  # needs percent-encoding in the URI; the primary and the sentinels require it
_clients = (f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))


def login_key(client: str) -> str:
    return "LIMITS:" + parse("10 per minute").key_for("reference-api", client, "api.login")


def plain_key(client: str) -> str:
    return "LIMITS:" + parse("5 per minute").key_for("reference-api", client, "plain")


@pytest.fixture(scope="module")
def sentinel():
    topology = SentinelTopology(password=PASSWORD).start()
    yield topology
    topology.stop()


@pytest.fixture(scope="module")
def cluster():
    topology = ClusterTopology().start()
    yield topology
    topology.stop()


def sentinel_url(topology: SentinelTopology) -> str:
    hosts = ",".join(f"127.0.0.1:{s.port}" for s in topology.sentinels)
    return f"redis+sentinel://:{quote(PASSWORD, safe='')}@{hosts}/mymaster"


def two_instances(gunicorn_server, uri: str):
    return [gunicorn_server(workers=2, app_spec=PLAIN_APP, PYTHONPATH=PYTHONPATH, RATELIMIT_STORAGE_URI=uri,
                            TRUSTED_PROXY_COUNT="1", RATELIMIT_DEFAULT="5 per minute") for _ in range(2)]


def call(servers, i: int, client: str, path: str = LOGIN, timeout: float = 30.0):
    """Request ``i`` of a burst goes to instance ``i % 2``; returns (status, seconds). Where a stall
    matters the caller passes ``timeout=4.5``: below redis-py's 5 s default, so a regression fails."""
    started = time.perf_counter()
    headers = {"X-Forwarded-For": client}
    if path == LOGIN:
        response = request(servers[i % 2].port, "POST", LOGIN, json_body=BAD_LOGIN, headers=headers, timeout=timeout)
    else:
        response = request(servers[i % 2].port, "GET", path, headers=headers, timeout=timeout)
    return response.status, time.perf_counter() - started


def burst(servers, client: str, path: str = LOGIN, n: int = 24) -> Counter:
    """``n`` concurrent requests from one client, alternating between the instances."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(status for status, _ in pool.map(lambda i: call(servers, i, client, path), range(n)))


EXACT_LOGIN = Counter({401: 10, 429: 14})  # login: 10 per minute (decorated, Flask-Limiter's path)
EXACT_PLAIN = Counter({200: 5, 429: 19})  # /api/plain: the 5 per minute default (the fast path)


def statuses_logged(servers) -> Counter:
    for server in servers:
        server.stop()
    return Counter(r["status"] for s in servers for r in request_lines(parse_log_lines(s.output())))


def production_app(monkeypatch, uri: str):
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", uri)
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com")
    app = create_app("production")
    app.add_url_rule("/api/plain", "plain", lambda: {"ok": True})
    return app


def test_sentinel_clients_are_bounded_and_authenticated(sentinel, monkeypatch):
    """Every redis-py client behind the Sentinel storage has the 0.25 s timeouts and no retries,
    the sentinels' own connections included, and the percent-encoded password is decoded."""
    from app.extensions import limiter

    app = production_app(monkeypatch, sentinel_url(sentinel))
    storage = limiter.storage
    for kwargs in (storage.sentinel.sentinel_kwargs, storage.storage.connection_pool.connection_kwargs):
        assert kwargs["socket_timeout"] == 0.25 and kwargs["socket_connect_timeout"] == 0.25
        assert kwargs["retry"].get_retries() == 0 and kwargs["password"] == PASSWORD
    client = next(_clients)
    test_client = app.test_client()
    env = {"REMOTE_ADDR": client}
    # Both paths count on the primary: the decorated login and the fast path's default limit.
    assert test_client.post(LOGIN, json=BAD_LOGIN, environ_base=env).status_code == 401
    assert test_client.get("/api/plain", environ_base=env).status_code == 200
    primary = sentinel.primary.client()
    assert primary.llen(login_key(client)) == 1
    assert [k for k in primary.keys(f"*/{client}/plain/*")]


def test_cluster_clients_are_bounded(cluster, monkeypatch):
    from app.extensions import limiter

    app = production_app(monkeypatch, cluster.url)
    storage = limiter.storage.storage  # redis.cluster.RedisCluster
    kwargs = storage.nodes_manager.connection_kwargs
    assert kwargs["socket_timeout"] == 0.25 and kwargs["socket_connect_timeout"] == 0.25
    assert storage.retry.get_retries() == 0  # RedisCluster's own retry: no command retries
    client = next(_clients)
    test_client = app.test_client()
    assert test_client.post(LOGIN, json=BAD_LOGIN, environ_base={"REMOTE_ADDR": client}).status_code == 401
    assert test_client.get("/api/plain", environ_base={"REMOTE_ADDR": client}).status_code == 200
    assert cluster.node_for_key(login_key(client)).client().llen(login_key(client)) == 1


@pytest.mark.slow
def test_sentinel_shared_limits_survive_a_primary_failover(sentinel, gunicorn_server):
    servers = two_instances(gunicorn_server, sentinel_url(sentinel))
    client = next(_clients)
    assert burst(servers, client) == EXACT_LOGIN
    assert burst(servers, client, "/api/plain") == EXACT_PLAIN
    primary = sentinel.primary.client()
    assert primary.llen(login_key(client)) == 10 and primary.llen(plain_key(client)) == 5

    # Kill the primary mid-burst: one client keeps hammering login on both instances until the
    # sentinels have promoted the replica, and for at least 100 requests after the kill.
    attacker = next(_clients)
    results = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        results += pool.map(lambda i: call(servers, i, attacker, timeout=4.5), range(4))
        sentinel.kill_primary()
        killed = time.perf_counter()
        promoted = None
        while promoted is None or len(results) < 4 + 100:
            results += pool.map(lambda i: call(servers, i, attacker, timeout=4.5), range(8))
            if promoted is None and sentinel.master_port() == sentinel.replica.port:
                promoted = time.perf_counter() - killed
        sentinel.wait_promoted()
    statuses = Counter(status for status, _ in results)
    stall = max(seconds for _, seconds in results)
    print(f"sentinel failover: promoted after {promoted:.2f}s, {len(results)} logins {dict(statuses)}, "
          f"longest request {stall:.3f}s")
    assert set(statuses) == {401, 429}  # never a 500; the login stayed limited throughout
    # At most 10 counted on the old primary, 10 on the new one (replication is asynchronous) and
    # 10 in each of the 4 workers' memory while they fall back.
    assert statuses[401] <= 10 + 10 + 4 * 10

    # No restart: once each worker has re-checked the storage (Flask-Limiter's backoff: 1, 2, 4 ...
    # seconds after the failure), both instances count together again, on the new primary.
    wait_until(lambda: burst(servers, next(_clients)) == EXACT_LOGIN, timeout=90, interval=0.5,
               what="exact shared limits after the failover")
    client = next(_clients)
    assert burst(servers, client) == EXACT_LOGIN
    assert burst(servers, client, "/api/plain") == EXACT_PLAIN
    assert sentinel.replica.client().llen(login_key(client)) == 10
    logged = statuses_logged(servers)
    assert logged[500] == 0 and logged[401] and logged[429]


@pytest.mark.slow
def test_cluster_hung_node_costs_one_short_timeout(cluster, gunicorn_server):
    """SIGSTOP: the node's port still accepts, it never answers. redis-py's defaults (5 s, retries)
    would hold each request for seconds; with the reference's options each request gets its answer
    well inside the 4.5 s the client waits, and none is a 500."""
    servers = two_instances(gunicorn_server, cluster.url)
    hung = cluster.nodes[1]
    client = next(c for c in _clients if cluster.node_for_key(login_key(c)) is hung)
    assert call(servers, 0, client)[0] == 401  # pooled connections to every node exist now
    os.kill(hung.pid, signal.SIGSTOP)
    try:
        results = [call(servers, i, client, timeout=4.5) for i in range(8)]
    finally:
        os.kill(hung.pid, signal.SIGCONT)
    print(f"cluster, node {hung.port} hung: {[(s, round(t, 3)) for s, t in results]}")
    assert [status for status, _ in results] == [401] * 8
    for node in cluster.nodes:
        wait_until(lambda n=node: n.client().cluster("info")["cluster_state"] == "ok", timeout=30,
                   what="cluster_state:ok after SIGCONT")
    assert statuses_logged(servers)[500] == 0


@pytest.mark.slow
def test_cluster_shared_limits_and_one_dead_node(cluster, gunicorn_server):
    servers = two_instances(gunicorn_server, cluster.url)
    # Two clients per node, chosen by asking the cluster which node serves their login key.
    by_node = {node.port: [] for node in cluster.nodes}
    while min(map(len, by_node.values())) < 2:
        client = next(_clients)
        owners = by_node[cluster.node_for_key(login_key(client)).port]
        if len(owners) < 2:
            owners.append(client)
    clients = [c for owners in by_node.values() for c in owners]
    assert [burst(servers, c) for c in clients] == [EXACT_LOGIN] * len(clients)
    assert [burst(servers, c, "/api/plain") for c in clients] == [EXACT_PLAIN] * len(clients)
    # One key per limit and client, on the node that serves its slot: no hash tag, no CROSSSLOT.
    for client in clients:
        node = cluster.node_for_key(login_key(client)).client()
        assert node.llen(login_key(client)) == 10
        assert cluster.node_for_key(plain_key(client)).client().llen(plain_key(client)) == 5

    # Kill one node. Flask-Limiter's fallback is per process and all-or-nothing: the first
    # storage error in a worker switches that worker to its in-memory counters for every key (not
    # only the dead node's) until a re-check of the whole cluster (PING to every primary) passes.
    dead = cluster.nodes[0]
    dead.stop(signal.SIGKILL)
    fresh = {node.port: next(c for c in _clients if cluster.node_for_key(login_key(c)) is node)
             for node in cluster.nodes}
    during = {port: burst(servers, client, n=60) for port, client in fresh.items()}
    print(f"cluster, node {dead.port} of {[n.port for n in cluster.nodes]} killed: {during}")
    for statuses in during.values():
        assert set(statuses) == {401, 429}  # no 500, and still limited: 4 workers x 10 at most
        assert 10 <= statuses[401] <= 4 * 10

    # The node comes back (same port and cluster config, empty): every worker's next re-check
    # passes and all keys are shared again, without restarting the app.
    dead.start().wait_ready()
    for node in cluster.nodes:
        wait_until(lambda n=node: n.client().cluster("info")["cluster_state"] == "ok", timeout=30,
                   what="cluster_state:ok after the node is back")

    def shared_again() -> bool:
        fresh = [next(c for c in _clients if cluster.node_for_key(login_key(c)) is node) for node in cluster.nodes]
        return [burst(servers, c) for c in fresh] == [EXACT_LOGIN] * len(fresh)

    wait_until(shared_again, timeout=90, interval=0.5, what="exact shared limits with the node back")
    logged = statuses_logged(servers)
    assert logged[500] == 0 and logged[401] and logged[429]
