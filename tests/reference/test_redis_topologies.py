"""Scale-out: two gunicorn instances (2 workers each) share limits on Redis Sentinel and on Redis
Cluster, and a dead primary or node never turns into a 500. On the Cluster a failed node moves
only its own keys to per-process memory (reference/app/middleware/cluster_storage.py).

Each topology starts once per module (tests/support/topologies.py); each test uses fresh client
addresses (X-Forwarded-For behind TRUSTED_PROXY_COUNT=1), so tests never share a counter.
"""

from __future__ import annotations

import itertools
import logging
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


def timeouts_allowed(elapsed: float, workers: int = 1) -> int:
    """At most one timeout per worker per backoff period: a failed node is tried again 1, 1+2,
    1+2+4 ... seconds after its first failure (cluster_storage.py)."""
    retries = sum(1 for n in range(1, 7) if 2**n - 1 <= elapsed)
    return workers * (1 + retries)


def test_cluster_storage_falls_back_per_node(cluster, caplog):
    """In process, on every strategy: while one node hangs (SIGSTOP), its keys count in this
    process's memory after ONE 0.25 s timeout, keys on the other nodes keep counting in Redis and
    are never slowed, and once the node answers its keys are counted in Redis again."""
    from limits._storage_scheme import SCHEMES
    from limits.storage import RedisClusterStorage, RedisSentinelStorage, RedisStorage, storage_from_string
    from limits.strategies import STRATEGIES

    from app.config import storage_options
    from app.middleware.cluster_storage import PerNodeFallbackClusterStorage

    # Only redis+cluster:// is taken over; the other schemes keep limits' own classes.
    assert SCHEMES["redis"] is RedisStorage and SCHEMES["redis+sentinel"] is RedisSentinelStorage
    assert SCHEMES["valkey+cluster"] is RedisClusterStorage
    storage = storage_from_string(cluster.url, **storage_options(cluster.url))
    assert type(storage) is PerNodeFallbackClusterStorage
    item = parse("5 per minute")
    names = itertools.count()
    redis_key = {  # the Redis key each strategy stores a limit under (limits' own naming)
        "moving-window": lambda k: "LIMITS:" + item.key_for(k),
        "fixed-window": lambda k: "LIMITS:" + item.key_for(k),
        "sliding-window-counter": lambda k: "LIMITS:{" + item.key_for(k) + "}",
    }

    def key_on(node, strategy: str) -> str:
        return next(k for k in (f"unit-{n}" for n in names) if cluster.node_for_key(redis_key[strategy](k)) is node)

    hung, live = cluster.nodes[2], cluster.nodes[:2]
    keys = [(strategy, node, key_on(node, strategy)) for strategy in redis_key for node in cluster.nodes]
    caplog.set_level(logging.WARNING, logger="app.middleware.cluster_storage")
    os.kill(hung.pid, signal.SIGSTOP)
    try:
        started, admitted = time.perf_counter(), {}
        for strategy, _node, key in keys:
            limiter = STRATEGIES[strategy](storage)
            for _ in range(7):
                admitted[key] = admitted.get(key, 0) + limiter.hit(item, key)
        elapsed = time.perf_counter() - started
        assert storage.check() is False  # a PING to every primary
    finally:
        os.kill(hung.pid, signal.SIGCONT)
    assert set(admitted.values()) == {5}  # exact everywhere: in Redis, or in memory for the hung node
    # Each call that reached the hung node logged one line (it cost one timeout); no other node failed.
    hung_name = f"127.0.0.1:{hung.port}"
    failures = [r.getMessage().split(" (")[0] for r in caplog.records]
    print(f"cluster storage, node {hung.port} hung: {len(failures)} failed call(s) in {elapsed:.2f}s")
    assert failures[0] == f"rate-limit node {hung_name} failed"
    assert set(failures[1:]) <= {f"rate-limit node {hung_name} still failing"}
    assert len(failures) <= timeouts_allowed(elapsed)
    for strategy, node, key in keys:
        assert node.client().exists(redis_key[strategy](key)) == (node is not hung)

    # The node answers again: after its backoff the next call for one of its keys goes to Redis.
    for node in cluster.nodes:
        wait_until(lambda n=node: n.client().cluster("info")["cluster_state"] == "ok", timeout=30,
                   what="cluster_state:ok after SIGCONT")
    moving = STRATEGIES["moving-window"](storage)
    wait_until(lambda: moving.hit(item, key_on(hung, "moving-window")) and hung_name not in storage.down,
               timeout=40, interval=0.1, what="the hung node's keys back in Redis")
    assert caplog.records[-1].getMessage() == f"rate-limit node {hung_name} is back: its keys are shared again"
    key = key_on(hung, "moving-window")
    assert [moving.hit(item, key) for _ in range(6)] == [True] * 5 + [False]
    assert hung.client().llen(redis_key["moving-window"](key)) == 5 and storage.check() is True
    moving.clear(item, key)  # storage.clear() reaches the node (and the memory copy)
    assert not hung.client().exists(redis_key["moving-window"](key)) and moving.hit(item, key)
    assert all(n.client().exists(redis_key[s](k)) for s, n, k in keys if n in live)


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
    would hold each request for seconds. With the reference, a request for the hung node's key
    costs at most one 0.25 s timeout per worker per backoff period (then memory answers), and
    requests for keys on the other nodes never wait for it and keep exact shared counts."""
    servers = two_instances(gunicorn_server, cluster.url)
    hung = cluster.nodes[1]
    client = next(c for c in _clients if cluster.node_for_key(login_key(c)) is hung)
    other = next(c for c in _clients if cluster.node_for_key(login_key(c)) is not hung)
    assert call(servers, 0, client)[0] == 401 and call(servers, 1, other)[0] == 401
    os.kill(hung.pid, signal.SIGSTOP)
    try:
        started = time.perf_counter()
        results = [(c, *call(servers, i, c, timeout=4.5)) for i in range(11) for c in (client, other)]
        elapsed = time.perf_counter() - started
    finally:
        os.kill(hung.pid, signal.SIGCONT)
    # Hung node's key: per worker, counted in memory (11 of the 12 logins admitted, at most 40).
    assert [status for c, status, _ in results if c == client] == [401] * 11
    # Other nodes' key: still one shared count in Redis, exactly 10 of 12 across both instances.
    assert [status for c, status, _ in results if c == other] == [401] * 9 + [429] * 2
    for node in cluster.nodes:
        wait_until(lambda n=node: n.client().cluster("info")["cluster_state"] == "ok", timeout=30,
                   what="cluster_state:ok after SIGCONT")
    assert statuses_logged(servers)[500] == 0
    # Each call that reached the hung node logged one line: at most one per worker per backoff
    # period (each cost one 0.25 s timeout at most); no call to another node failed.
    failures = [r["message"].split(" (")[0] for server in servers for r in parse_log_lines(server.output())
                if r.get("logger") == "app.middleware.cluster_storage"]
    hung_name = f"127.0.0.1:{hung.port}"
    print(f"cluster, node {hung.port} hung: {len(failures)} failed call(s) in {elapsed:.2f}s; longest request "
          f"{max(t for c, _, t in results if c == client):.3f}s (hung node's key), "
          f"{max(t for c, _, t in results if c == other):.3f}s (other nodes' key)")
    assert set(failures) <= {f"rate-limit node {hung_name} failed", f"rate-limit node {hung_name} still failing"}
    assert 1 <= len(failures) <= timeouts_allowed(elapsed, workers=4)


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

    # Kill one node. Only the keys it served fall back to each worker's memory (no 500, still
    # limited: 4 workers x the limit at most); keys on the two live nodes stay exact and shared.
    dead = cluster.nodes[0]
    dead.stop(signal.SIGKILL)

    def fresh(key) -> dict:  # a new client per node, chosen by the node that serves key(client)
        return {node.port: next(c for c in _clients if cluster.node_for_key(key(c)) is node) for node in cluster.nodes}

    during = {port: burst(servers, client, n=60) for port, client in fresh(login_key).items()}
    during_plain = {port: burst(servers, client, "/api/plain") for port, client in fresh(plain_key).items()}
    print(f"cluster, node {dead.port} of {[n.port for n in cluster.nodes]} killed: {during} {during_plain}")
    for port in during:
        if port == dead.port:
            assert set(during[port]) == {401, 429} and 10 <= during[port][401] <= 4 * 10
            assert set(during_plain[port]) == {200, 429} and 5 <= during_plain[port][200] <= 4 * 5
        else:
            assert during[port] == Counter({401: 10, 429: 50}) and during_plain[port] == EXACT_PLAIN

    # The node comes back (same port and cluster config, empty): each worker tries it again after
    # its backoff (1, 2, 4 ... s) and its keys are shared again, without restarting the app.
    dead.start().wait_ready()
    for node in cluster.nodes:
        wait_until(lambda n=node: n.client().cluster("info")["cluster_state"] == "ok", timeout=30,
                   what="cluster_state:ok after the node is back")

    def shared_again() -> bool:
        return [burst(servers, c) for c in fresh(login_key).values()] == [EXACT_LOGIN] * len(cluster.nodes)

    wait_until(shared_again, timeout=90, interval=0.5, what="exact shared limits with the node back")
    assert [burst(servers, c, "/api/plain") for c in fresh(plain_key).values()] == [EXACT_PLAIN] * 3
    logged = statuses_logged(servers)
    assert logged[500] == 0 and logged[401] and logged[429]
