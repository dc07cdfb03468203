"""Real Redis topologies for tests and bench/: Sentinel (1 primary, 1 replica, 3 sentinels) and
Cluster (3 primaries), built from the installed redis-server and redis-cli on 127.0.0.1 random
ports, in a temporary directory, readiness polled (no fixed sleeps), every process stopped by PID.

Timings are short on purpose (down-after 500 ms, failover-timeout 3 s, cluster-node-timeout
1 s), so a failover completes in a few seconds; production values are larger.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import redis

from tests.support.servers import ManagedProcess, RedisServer, free_port, redis_server_binary, wait_until

SERVICE = "mymaster"


def client(port: int, password: str | None = None) -> redis.Redis:
    """A plain redis-py client for one node or sentinel (short timeouts: a dead node fails fast)."""
    return redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=2,
                       socket_connect_timeout=2, decode_responses=True)


class _Node(RedisServer):
    """A redis-server with extra arguments (replication, auth, cluster mode)."""

    def __init__(self, *extra: str, password: str | None = None, workdir: Path):
        super().__init__()
        self.password = password
        self.argv = [a if a != tempfile.gettempdir() else str(workdir) for a in self.argv]
        if password:
            self.argv += ["--requirepass", password, "--masterauth", password]
        self.argv += list(extra)

    def ping(self) -> bool:
        return self.client().ping()

    def client(self) -> redis.Redis:
        return client(self.port, self.password)


class SentinelTopology:
    """1 primary, 1 replica, 3 sentinels monitoring service ``mymaster`` with quorum 2."""

    def __init__(self, password: str | None = None):
        self.password = password
        self.dir = Path(tempfile.mkdtemp(prefix="sentinel-"))
        self.primary = _Node(password=password, workdir=self.dir)
        self.replica = _Node("--replicaof", "127.0.0.1", str(self.primary.port), password=password,
                             workdir=self.dir)
        self.sentinels: list[ManagedProcess] = []

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{auth}{hosts}/{SERVICE}"

    def start(self) -> SentinelTopology:
        try:
            self.primary.start().wait_ready()
            self.replica.start().wait_ready()
            wait_until(lambda: self.replica.client().info("replication")["master_link_status"] == "up",
                       what="replica linked to the primary")
            for _ in range(3):
                port = free_port()
                conf = self.dir / f"sentinel-{port}.conf"
                lines = [
                    f"port {port}", "bind 127.0.0.1", "daemonize no", f"dir {self.dir}",
                    f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 2",
                    f"sentinel down-after-milliseconds {SERVICE} 500",
                    f"sentinel failover-timeout {SERVICE} 3000",
                    f"sentinel parallel-syncs {SERVICE} 1",
                ]
                if self.password:
                    lines += [f"requirepass {self.password}", f"sentinel auth-pass {SERVICE} {self.password}"]
                conf.write_text("\n".join(lines) + "\n")
                sentinel = ManagedProcess(argv=[redis_server_binary(), str(conf), "--sentinel"], port=port)
                self.sentinels.append(sentinel.start())
            for sentinel in self.sentinels:
                sentinel.wait_ready()
                # Ready for a failover: it sees the replica and both other sentinels (quorum 2).
                wait_until(lambda s=sentinel: self._sentinel_sees_everyone(s.port), timeout=30,
                           what="sentinels discovering each other and the replica")
        except BaseException:
            self.stop()
            raise
        return self

    def _sentinel_sees_everyone(self, port: int) -> bool:
        fields = client(port, self.password).sentinel_master(SERVICE)
        return fields["num-slaves"] == 1 and fields["num-other-sentinels"] == 2

    def master_port(self, sentinel_index: int = 0) -> int | None:
        address = client(self.sentinels[sentinel_index].port, self.password).sentinel_get_master_addr_by_name(
            SERVICE)
        return int(address[1]) if address else None

    def kill_primary(self) -> None:
        self.primary.stop(signal.SIGKILL)

    def wait_promoted(self, timeout: float = 30.0) -> None:
        """Every sentinel names the replica as primary, and the replica says it is one."""
        def promoted():
            return (all(self.master_port(i) == self.replica.port for i in range(len(self.sentinels)))
                    and self.replica.client().info("replication")["role"] == "master")

        wait_until(promoted, timeout=timeout, interval=0.05, what="replica promoted by the sentinels")

    def stop(self) -> None:
        for process in [*self.sentinels, self.replica, self.primary]:
            process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ClusterTopology:
    """3 primaries, no replicas, slots split by ``redis-cli --cluster create``.

    ``cluster-require-full-coverage no``: with one node gone, the other two keep serving their
    slots (the default, yes, makes the whole cluster refuse every key until the node is back).
    """

    def __init__(self, nodes: int = 3):
        self.dir = Path(tempfile.mkdtemp(prefix="cluster-"))
        self.nodes = [
            # The bus port gets its own free port: the default, port + 10000, may be taken or > 65535.
            _Node("--cluster-enabled", "yes", "--cluster-port", str(free_port()),
                  "--cluster-config-file", f"nodes-{i}.conf",
                  "--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no",
                  workdir=self.dir)
            for i in range(nodes)
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> ClusterTopology:
        try:
            for node in self.nodes:
                node.start().wait_ready()
            cli = shutil.which("redis-cli")
            if not cli:
                raise RuntimeError("redis-cli is not installed: run `bash dev/setup.sh`")
            subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
                            "--cluster-yes"], check=True, capture_output=True, timeout=60)
            for node in self.nodes:
                wait_until(lambda n=node: n.client().cluster("info")["cluster_state"] == "ok",
                           timeout=30, what="cluster_state:ok on every node")
        except BaseException:
            self.stop()
            raise
        return self

    def node_for_key(self, key: str) -> _Node:
        """The node serving ``key``'s hash slot, as the nodes themselves report it."""
        live = next(n for n in self.nodes if n.proc and n.proc.poll() is None).client()
        slot = live.cluster("keyslot", key)
        view = live.cluster("nodes")  # {"host:port": {"slots": [[low, high]], ...}}
        for node in self.nodes:
            spans = view[f"127.0.0.1:{node.port}"]["slots"]
            if any(int(low) <= slot <= int(high) for low, high in spans):
                return node
        raise LookupError(f"no node serves slot {slot}")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
