"""Redis Cluster storage that falls back per node: a failed node moves only its own keys to this
process's memory (the per-worker limits of Flask-Limiter's fallback, which instead moves EVERY key
on its first storage error); keys on the other nodes keep exact shared counts. No Redis error
reaches Flask-Limiter. A failed node's keys go straight to memory for 1, 2, 4 ... 32 s, so a hung
node costs one 0.25 s timeout per worker per period; then one call tries the node again.

Importing it (rate_limiting.py does) registers it for ``redis+cluster://``: limits maps a URI
scheme to the class naming it in STORAGE_SCHEME, so RATELIMIT_STORAGE_URI stays the one setting.
"""

from __future__ import annotations

import functools
import logging
import time

from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisClusterStorage
from redis.exceptions import NoScriptError, RedisClusterException, RedisError

log = logging.getLogger(__name__)
# RedisClusterException (no slot map, ...) is no RedisError; StorageError wraps both when the
# storage is built with wrap_exceptions=True (Flask-Limiter does not).
ERRORS = (RedisError, RedisClusterException, StorageError)


class PerNodeFallbackClusterStorage(RedisClusterStorage):
    STORAGE_SCHEME = ["redis+cluster"]

    def __init__(self, uri: str, **options) -> None:
        super().__init__(uri, **options)
        self.memory = MemoryStorage()
        self.down: dict[str, tuple[float, float]] = {}  # node name -> (retry at, backoff)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        for name in [name for name in vars(self) if name.startswith("lua_")]:
            setattr(self, name, functools.partial(self._run_script, getattr(self, name)))

    def _run_script(self, script, keys, args):
        # redis-py answers NOSCRIPT with SCRIPT LOAD on EVERY primary: a hung node would fail (and
        # stall) the first call of each script on the other nodes. Load it on the key's node only.
        try:
            return self.storage.evalsha(script.sha, len(keys), *keys, *args)
        except NoScriptError:
            node = self.storage.get_node_from_key(keys[0])
            self.storage.execute_command("SCRIPT LOAD", script.script, target_nodes=node)
            return self.storage.evalsha(script.sha, len(keys), *keys, *args)

    def _call(self, name: str, key: str, *args, slot_key: str | None = None):
        try:  # the node serving the key's slot, from the client's slot map (no network)
            node = self.storage.get_node_from_key(self.prefixed_key(slot_key or key)).name
        except RedisClusterException:  # no node serves the slot
            return getattr(self.memory, name)(key, *args)
        retry_at, backoff = self.down.get(node, (0.0, 0.0))
        if time.monotonic() < retry_at:
            return getattr(self.memory, name)(key, *args)
        try:
            result = getattr(super(), name)(key, *args)
        except ERRORS as error:
            if not backoff:
                log.warning("rate-limit node %s failed (%r): its keys count per process", node, error)
            backoff = min(2 * backoff, 32.0) or 1.0  # Flask-Limiter's re-check backoff
            if backoff > 1:  # one line per retry: each cost one timeout at most
                log.warning("rate-limit node %s still failing (%r): next try in %gs", node, error, backoff)
            self.down[node] = (time.monotonic() + backoff, backoff)
            return getattr(self.memory, name)(key, *args)
        if self.down.pop(node, None):
            log.warning("rate-limit node %s is back: its keys are shared again", node)
        return result

    # Every call the strategies make. The sliding-window counter's two keys share the hash tag
    # {key} (limits adds it), so its current-window key names their node.
    def acquire_entry(self, key, limit, expiry, amount=1):  # moving window
        return self._call("acquire_entry", key, limit, expiry, amount)

    def get_moving_window(self, key, limit, expiry):
        return self._call("get_moving_window", key, limit, expiry)

    def incr(self, key, expiry, amount=1):  # fixed window
        return self._call("incr", key, expiry, amount)

    def get(self, key):
        return self._call("get", key)

    def get_expiry(self, key):
        return self._call("get_expiry", key)

    def acquire_sliding_window_entry(self, key, limit, expiry, amount=1):
        slot_key = self._current_window_key(key)
        return self._call("acquire_sliding_window_entry", key, limit, expiry, amount, slot_key=slot_key)

    def get_sliding_window(self, key, expiry):
        return self._call("get_sliding_window", key, expiry, slot_key=self._current_window_key(key))

    def clear(self, key):  # both copies: a key may have counts in memory and on its node
        self.memory.clear(key)
        self._call("clear", key)

    def clear_sliding_window(self, key, expiry):  # limits' version calls self.clear per Redis key
        self.memory.clear_sliding_window(key, expiry)
        RedisClusterStorage.clear_sliding_window(self, key, expiry)

    def reset(self):  # raises while a node is down: a partial reset is no reset
        self.memory.reset()
        return super().reset()

    def check(self):  # limits' own check pings one node only
        try:
            return bool(self.storage.ping(target_nodes=self.storage.PRIMARIES))
        except ERRORS:
            return False
