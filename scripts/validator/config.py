"""Configuration: command-line options merged with an optional YAML file.

The file is ``.flask-middleware.yml`` or ``.flask-middleware.yaml`` at the scanned root, or the one
named by ``--config``. PyYAML is imported only when a file is actually read, so the common no-config
path needs nothing outside the standard library.
"""

from __future__ import annotations

import os
import re

CONFIG_NAMES = (".flask-middleware.yml", ".flask-middleware.yaml")

# key -> (expected python type description, validator)
_LIST_OF_STR = "a list of strings"
KNOWN_KEYS = {
    "select": _LIST_OF_STR,
    "ignore": _LIST_OF_STR,
    "per-path-ignores": "a mapping of glob -> list of rule codes",
    "auth-route-patterns": "a list of regular expressions",
    "rate-limit-decorators": _LIST_OF_STR,
    "production-config": "a list of class names or file globs",
    "exclude": "a list of globs",
    "live-paths": "a mapping of api/html/login -> path (for --url)",
    "live-origin": "an origin such as https://app.example.com (for --url)",
}


class UsageError(Exception):
    """Bad command line or configuration: exit status 2, message on stderr, no traceback."""


class Config:
    # A plain class rather than a dataclass: importing `dataclasses` costs ~15 ms of start-up.
    __slots__ = (
        "auth_route_patterns",
        "exclude",
        "ignore",
        "live_origin",
        "live_paths",
        "per_path_ignores",
        "production_config",
        "rate_limit_decorators",
        "select",
        "source",
    )

    def __init__(
        self,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        per_path_ignores: dict[str, list[str]] | None = None,
        auth_route_patterns: list[re.Pattern] | None = None,
        rate_limit_decorators: list[str] | None = None,
        production_config: list[str] | None = None,
        exclude: list[str] | None = None,
        source: str | None = None,  # the file the settings came from, if any
    ):
        self.select = [] if select is None else select
        self.ignore = [] if ignore is None else ignore
        self.per_path_ignores = {} if per_path_ignores is None else per_path_ignores
        self.auth_route_patterns = [] if auth_route_patterns is None else auth_route_patterns
        self.rate_limit_decorators = [] if rate_limit_decorators is None else rate_limit_decorators
        self.production_config = [] if production_config is None else production_config
        self.exclude = [] if exclude is None else exclude
        self.source = source
        self.live_paths: dict[str, str] = {}  # --url mode: api/html/login -> path
        self.live_origin: str | None = None

    def __repr__(self):
        return f"Config(source={self.source!r})"

    def merged_with_cli(self, select=None, ignore=None) -> Config:
        if select:
            self.select = list(select)
        if ignore:
            self.ignore = list(self.ignore) + list(ignore)
        return self


def _str_list(value, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: '{key}' must be {KNOWN_KEYS.get(key, _LIST_OF_STR)}, got {value!r}")
    return [v.strip() for v in value]


def parse_config_data(data, where: str) -> Config:
    if data is None:
        return Config(source=where)
    if not isinstance(data, dict):
        raise UsageError(f"{where}: the top level must be a mapping, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in KNOWN_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(KNOWN_KEYS))}")
    cfg = Config(source=where)
    if "select" in data:
        cfg.select = [c.upper() for c in _str_list(data["select"], "select", where)]
    if "ignore" in data:
        cfg.ignore = [c.upper() for c in _str_list(data["ignore"], "ignore", where)]
    if "per-path-ignores" in data:
        ppi = data["per-path-ignores"]
        if not isinstance(ppi, dict):
            raise UsageError(f"{where}: 'per-path-ignores' must be {KNOWN_KEYS['per-path-ignores']}")
        for glob, codes in ppi.items():
            if not isinstance(glob, str):
                raise UsageError(f"{where}: 'per-path-ignores' keys must be glob strings, got {glob!r}")
            cfg.per_path_ignores[glob] = [c.upper() for c in _str_list(codes, "per-path-ignores", where)]
    if "auth-route-patterns" in data:
        for pattern in _str_list(data["auth-route-patterns"], "auth-route-patterns", where):
            try:
                cfg.auth_route_patterns.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise UsageError(f"{where}: bad regular expression {pattern!r} in auth-route-patterns: {exc}") from None
    if "live-paths" in data:
        lp = data["live-paths"]
        ok = isinstance(lp, dict) and all(k in ("api", "html", "login") and isinstance(v, str) for k, v in lp.items())
        if not ok:
            raise UsageError(f"{where}: 'live-paths' must be {KNOWN_KEYS['live-paths']}, got {lp!r}")
        cfg.live_paths = {k: v.strip() for k, v in lp.items()}
    if "live-origin" in data:
        if not isinstance(data["live-origin"], str):
            raise UsageError(f"{where}: 'live-origin' must be {KNOWN_KEYS['live-origin']}")
        cfg.live_origin = data["live-origin"].strip()
    for key in ("rate-limit-decorators", "production-config", "exclude"):
        if key in data:
            setattr(cfg, key.replace("-", "_"), _str_list(data[key], key, where))
    return cfg


def load_config_file(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not UTF-8 text") from None
    try:
        import yaml
    except ImportError:
        raise UsageError(f"reading {path} needs PyYAML (pip install pyyaml)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: invalid YAML: {exc}") from None
    return parse_config_data(data, path)


def discover_config(root: str) -> str | None:
    if not os.path.isdir(root):
        return None
    for name in CONFIG_NAMES:
        candidate = os.path.join(root, name)
        if os.path.isfile(candidate):
            return candidate
    return None
