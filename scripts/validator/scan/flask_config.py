"""Flask configuration: config classes (``class ProductionConfig(Config): RATELIMIT_STORAGE_URI = ...``,
values set in ``__init__`` included), ``app.config["KEY"] = ...``, ``config.update/from_mapping/setdefault``,
UPPER_CASE constants of config modules and of files loaded with ``from_pyfile``, and configuration read
from the environment (``from_envvar``, ``from_prefixed_env``, a loop over ``os.environ``).

Which of these is the production configuration is the rules' judgement (``rules/_common.py``).
"""

from __future__ import annotations

import ast
import os

from ..astutil import UNKNOWN, dotted, evaluate, last, str_const
from ..lazyre import lazy
from ..model import ConfigAssign, ConfigClass
from .walk import Scanner

CONFIG_FILE = lazy(r"(?i)(^|/)[^/]*(config|settings)[^/]*\.(py|cfg)$")
CONFIG_CLASS = lazy(r"(?i)config|settings")
UPPER = lazy(r"^[A-Z][A-Z0-9_]*$")


def _targets(n) -> list:
    return n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else []


def config_class(c: ast.ClassDef, module, bases: list[str]) -> ConfigClass | None:
    """A class holding configuration: named like one, or with UPPER_CASE attributes (not a view or handler)."""
    upper_assigns = [n for n in c.body if isinstance(n, (ast.Assign, ast.AnnAssign))]
    is_cfg = CONFIG_CLASS.search(c.name) or any(
        isinstance(t, ast.Name) and UPPER.match(t.id) for n in upper_assigns for t in _targets(n)
    )
    if not is_cfg or c.name.endswith(("View", "Resource", "Handler")):
        return None
    cc = ConfigClass(c.name, bases, module, c.lineno)
    scope = f"class:{c.name}"
    for n in c.body:
        value = getattr(n, "value", None)
        for t in _targets(n):
            if isinstance(t, ast.Name) and UPPER.match(t.id) and value is not None:
                cc.assigns[t.id] = ConfigAssign(
                    t.id, evaluate(value, module.constants), module, n.lineno, n.col_offset + 1, scope
                )
        if isinstance(n, ast.FunctionDef) and UPPER.match(n.name):
            cc.assigns[n.name] = ConfigAssign(n.name, UNKNOWN, module, n.lineno, n.col_offset + 1, scope)
        elif isinstance(n, ast.FunctionDef):
            _instance_settings(cc, n, module, scope)
    return cc


def _instance_settings(cc: ConfigClass, method, module, scope: str) -> None:
    """Values set on the instance (``self.RATELIMIT_STORAGE_URI = os.environ[...]`` in ``__init__``)."""
    local: dict = {}
    for sub in ast.walk(method):
        if isinstance(sub, ast.Assign):
            for t in sub.targets:
                if isinstance(t, ast.Name):
                    local[t.id] = sub.value
                if (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == "self"
                    and UPPER.match(t.attr)
                ):
                    value = evaluate(sub.value, module.constants, local)
                    cc.assigns[t.attr] = ConfigAssign(t.attr, value, module, sub.lineno, sub.col_offset + 1, scope)


class FlaskConfigScanner(Scanner):
    def __init__(self, project):
        super().__init__(project)
        self.pyfiles: set[str] = set()  # base names of files loaded with config.from_pyfile(...)

    def visit_ClassDef(self, ctx, c: ast.ClassDef) -> None:
        cc = config_class(c, ctx.module, [last(dotted(b)) for b in c.bases])
        if cc is not None:
            self.project.config_classes.setdefault(c.name, []).append(cc)

    def visit_Assign(self, ctx, s) -> None:
        module, p = ctx.module, self.project
        for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
            # app.config["KEY"] = value
            if isinstance(t, ast.Subscript) and (dotted(t.value) or "").endswith("config"):
                key = str_const(t.slice)
                if key is None and ctx.func is not None and "environ" in ctx.text(ctx.func):
                    # app.config[name] = value in a loop over the environment: env-driven config
                    p.env_config_loading.append(ctx.fact("config-from-env", s))
                if key:
                    value = evaluate(s.value, module.constants)
                    p.loose_config.append(
                        ConfigAssign(key, value, module, s.lineno, s.col_offset + 1, "loose", ctx.dev)
                    )
            # module-level constants in config files
            if ctx.module_level and isinstance(t, ast.Name) and UPPER.match(t.id) and module.is_config_file:
                value = evaluate(s.value, module.constants)
                scope = f"file:{module.rel}"
                p.loose_config.append(ConfigAssign(t.id, value, module, s.lineno, s.col_offset + 1, scope, ctx.dev))

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        if tail in ("from_envvar", "from_prefixed_env") or (tail == "from_file" and "environ" in ctx.text(call)):
            self.project.env_config_loading.append(ctx.fact(tail, call))
        elif tail in ("from_mapping", "update", "setdefault") and name.rsplit(".", 1)[0].endswith("config"):
            self.mapping_config(ctx, call, tail)
        elif tail == "from_pyfile" and call.args:
            fname = str_const(call.args[0])
            if fname:
                self.pyfiles.add(os.path.basename(fname))

    def mapping_config(self, ctx, call, method: str) -> None:
        items = []
        constants = ctx.module.constants
        for a in call.args:
            v = evaluate(a, constants)
            if isinstance(v, dict):
                items.extend((k, v2) for k, v2 in v.items() if isinstance(k, str))
        if method == "setdefault" and len(call.args) == 2 and str_const(call.args[0]):
            items = [(call.args[0].value, evaluate(call.args[1], constants))]
        for kw in call.keywords:
            if kw.arg:
                items.append((kw.arg, evaluate(kw.value, constants)))
        for k, v in items:
            if UPPER.match(k):
                assign = ConfigAssign(k, v, ctx.module, call.lineno, call.col_offset + 1, "loose", ctx.dev)
                self.project.loose_config.append(assign)

    def finish(self) -> None:
        """Files loaded with from_pyfile are config files too: their UPPER_CASE constants count."""
        for module in self.project.modules:
            if os.path.basename(module.rel) in self.pyfiles and not module.is_config_file:
                module.is_config_file = True
                for name, node in module.constants.items():
                    if UPPER.match(name):
                        value = evaluate(node, module.constants)
                        line = getattr(node, "lineno", 1)
                        self.project.loose_config.append(
                            ConfigAssign(name, value, module, line, 1, f"file:{module.rel}")
                        )
