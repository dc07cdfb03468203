"""One walk over a module's syntax tree; each node goes to the scanners that registered for its kind.

The walk keeps the context a scanner needs to read a node (``ModuleContext``): the enclosing function and
class, whether the code sits in a development-only branch (``if app.debug:``) or behind a config flag
(``if app.config["ENABLE_CORS"]:``), the loop variables over header tables, function-local imports in
source order, and, for a call that is the value of an assignment, the name it is assigned to.

A scanner subscribes by defining ``visit_<Kind>`` methods (the ``Scanner`` base documents them); the
walker calls them in scanner order, each node once. The walk order is fixed: statements in source order;
within a statement, the statement's own visit, then (for an assignment) the assigned call, then every
call and subscript inside the statement, depth first.
"""

from __future__ import annotations

import ast

from ..astutil import dotted, imported_name, iter_nodes, last, source_lines, str_const
from ..lazyre import lazy
from ..model import Fact, Module, Project

DEV_TEST = lazy(r"(?i)\b(?:debug|testing|development|dev|local)\b|\.debug|\.testing|== *['\"]dev")
VISITS = ("ClassDef", "FunctionDef", "Assign", "Delete", "Return", "Call", "Subscript")


class Scanner:
    """A concern's scanner: one instance per scan, so it may keep state across modules for ``finish``.

    visit_ClassDef(ctx, node) / visit_FunctionDef(ctx, node): a definition, before its body is walked.
    visit_Assign(ctx, stmt): an ``Assign``/``AnnAssign`` with a value. visit_Delete / visit_Return(ctx, stmt).
    visit_Call(ctx, call, name, resolved, tail): every call once; ``name`` is the dotted callee as written
    (``limiter.limit``), ``resolved`` through the imports (``flask_limiter.Limiter``), ``tail`` its last part
    (under an alias: the imported name). visit_Subscript(ctx, node): a subscript read (``x["k"]``).
    begin_module(ctx) / end_module(ctx): around each module's walk. finish(): once every file is read.
    """

    def __init__(self, project: Project):
        self.project = project

    def begin_module(self, ctx: ModuleContext) -> None:
        pass

    def end_module(self, ctx: ModuleContext) -> None:
        pass

    def finish(self) -> None:
        pass


class ModuleContext:
    """Where the walk is in one module. Scanners read it; only the walker moves it."""

    __slots__ = (
        "cls",
        "dev",
        "func",
        "guards",
        "local_imports",
        "loops",
        "module",
        "project",
        "src",
        "stmt",
        "target",
    )

    def __init__(self, project: Project, module: Module, src=None):
        self.project = project
        self.module = module
        self.src = src  # parsing.Source, or None for a context made after the walk (finish)
        self.guards: list[str] = []  # config flags of the enclosing `if app.config["X"]:` blocks
        self.local_imports: dict[str, str] = {}  # imports inside the function being walked, so far
        self.func: ast.AST | None = None  # enclosing function
        self.cls: ast.ClassDef | None = None  # enclosing class (its body, not a method's)
        self.dev = False  # in a development-only branch
        self.loops: dict = {}  # loop variable -> ("keys" | "values", iterated expression)
        self.stmt: ast.AST | None = None  # the statement being visited
        self.target: str | None = None  # for visit_Call: the name the call is assigned to

    @property
    def module_level(self) -> bool:
        return self.func is None and self.cls is None

    def resolve(self, name: str | None) -> str:
        """The dotted origin of a name through the imports: ``CORS`` -> ``flask_cors.CORS``."""
        if not name:
            return ""
        head, _, rest = name.partition(".")
        origin = self.local_imports.get(head) or self.module.imports.get(head)
        if origin:
            return origin + ("." + rest if rest else "")
        return name

    def is_library(self, resolved: str, name: str, module: str) -> bool:
        """``name`` is the library's class: imported from it, or not imported at all (star import, snippet).
        LibreTranslate's ``from .no_limiter import Limiter`` is a no-op stub, not Flask-Limiter."""
        head = name.split(".")[0]
        return resolved.startswith(module) or (
            resolved == name and head not in self.module.imports and head not in self.local_imports
        )

    def fact(self, kind, node, func=None, module_level=False, target=None, owner=None, dev=False, factory=Fact):
        fact = factory(
            kind,
            self.module,
            node,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0) + 1,
            func,
            module_level,
            target,
            owner,
            dev,
        )
        if self.guards:
            fact.guard = self.guards[-1]
        return fact

    def text(self, node) -> str:
        """The source lines spanned by ``node`` (whole lines: cheap, and enough for keyword tests)."""
        try:
            return source_lines(self.src.lines, node)
        except (AttributeError, TypeError):
            return ""


class Walker:
    """Walks one module's statements, keeping ``ctx`` current, and dispatches nodes to the scanners."""

    def __init__(self, ctx: ModuleContext, handlers: dict[str, list]):
        self.ctx = ctx
        self.on = handlers  # kind -> bound visit methods, in scanner order
        self.handled: set[int] = set()  # calls already dispatched (an assigned call, before its statement)

    def _at(self, func, cls, dev, loops, stmt, target=None) -> ModuleContext:
        ctx = self.ctx
        ctx.func, ctx.cls, ctx.dev, ctx.loops, ctx.stmt, ctx.target = func, cls, dev, loops, stmt, target
        return ctx

    def walk(self, body, func=None, cls=None, dev=False, loops=None):
        loops = {} if loops is None else loops
        for stmt in body:
            self.statement(stmt, func, cls, dev, loops)

    def statement(self, s, func, cls, dev, loops):
        if isinstance(s, ast.ClassDef):
            self.class_def(s, func, dev)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function_def(s, func, cls, dev)
        elif isinstance(s, ast.If):
            self.if_block(s, func, cls, dev, loops)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.expressions(s.iter, func, cls, dev, loops, s)
            self.walk(s.body, func, cls, dev, _loop_variables(s, loops))
            self.walk(s.orelse, func, cls, dev, loops)
        elif isinstance(s, ast.While):
            self.expressions(s.test, func, cls, dev, loops, s)
            self.walk(s.body, func, cls, dev, loops)
            self.walk(s.orelse, func, cls, dev, loops)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.expressions(item.context_expr, func, cls, dev, loops, s)
            self.walk(s.body, func, cls, dev, loops)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            self.walk(s.body, func, cls, dev, loops)
            for h in s.handlers:
                self.walk(h.body, func, cls, dev, loops)
            self.walk(s.orelse, func, cls, dev, loops)
            self.walk(s.finalbody, func, cls, dev, loops)
        elif type(s).__name__ == "Match":
            self.expressions(s.subject, func, cls, dev, loops, s)
            for case in s.cases:
                self.walk(case.body, func, cls, dev, loops)
        else:
            self.simple_statement(s, func, cls, dev, loops)

    def simple_statement(self, s, func, cls, dev, loops):
        if isinstance(s, ast.Return):
            self._dispatch("Return", s, func, cls, dev, loops)
        elif isinstance(s, ast.ImportFrom) and func is not None:
            for a in s.names:
                self.ctx.module.imports.setdefault(a.asname or a.name, imported_name(s, a))
                # in source order within the function: LibreTranslate imports flask_limiter.Limiter in one
                # branch and a no-op stub Limiter in the other
                self.ctx.local_imports[a.asname or a.name] = imported_name(s, a)
        elif isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
            self._dispatch("Assign", s, func, cls, dev, loops)
            if isinstance(s.value, ast.Call):
                target = None
                for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
                    if isinstance(t, (ast.Name, ast.Attribute)):
                        target = dotted(t)
                self.call(s.value, func, cls, dev, loops, s, target)
        elif isinstance(s, ast.Delete):
            self._dispatch("Delete", s, func, cls, dev, loops)
        self.expressions(s, func, cls, dev, loops, s)

    def _dispatch(self, kind, s, func, cls, dev, loops):
        ctx = self._at(func, cls, dev, loops, s)
        for visit in self.on[kind]:
            visit(ctx, s)

    def if_block(self, s, func, cls, dev, loops):
        is_dev = bool(DEV_TEST.search(self.ctx.text(s.test)))
        self.expressions(s.test, func, cls, dev, loops, s)
        guard = _config_flag(s.test)
        if guard:
            self.ctx.guards.append(guard)
        try:
            self.walk(s.body, func, cls, dev or is_dev, loops)
        finally:
            if guard:
                self.ctx.guards.pop()
        self.walk(s.orelse, func, cls, dev, loops)

    def class_def(self, c: ast.ClassDef, func, dev):
        self._dispatch("ClassDef", c, func, None, dev, {})
        for dec in c.decorator_list:
            self.expressions(dec, func, None, dev, {}, c)
        for base in c.bases:
            self.expressions(base, func, None, dev, {}, c)
        self.walk(c.body, func, c, dev, {})

    def function_def(self, f, outer, cls, dev):
        self.ctx.project.functions.setdefault(f.name, []).append((self.ctx.module, f))
        self._dispatch("FunctionDef", f, outer, cls, dev, {})
        for dec in f.decorator_list:
            self.expressions(dec, outer, cls, dev, {}, f)
        for d in f.args.defaults + f.args.kw_defaults:
            if d is not None:
                self.expressions(d, outer, cls, dev, {}, f)
        outer_imports = dict(self.ctx.local_imports)
        self.walk(f.body, f, None, dev, {})
        self.ctx.local_imports = outer_imports

    def expressions(self, node, func, cls, dev, loops, stmt):
        """Every call and subscript read in ``node``, depth first, each call once."""
        subscripts = self.on["Subscript"]
        for sub in iter_nodes(node):
            if isinstance(sub, ast.Call):
                if id(sub) not in self.handled:
                    self.call(sub, func, cls, dev, loops, stmt, None)
            elif isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load):
                ctx = self._at(func, cls, dev, loops, stmt)
                for visit in subscripts:
                    visit(ctx, sub)

    def call(self, call, func, cls, dev, loops, stmt, target):
        self.handled.add(id(call))
        ctx = self._at(func, cls, dev, loops, stmt, target)
        name = dotted(call.func) or ""
        resolved = ctx.resolve(name)
        # the class's own name, also under an alias (invenio: `from flask_talisman import Talisman as TalismanClass`)
        tail = last(resolved) if resolved != name and "." in resolved else last(name)
        for visit in self.on["Call"]:
            visit(ctx, call, name, resolved, tail)


def _loop_variables(s, loops: dict) -> dict:
    """``for k, v in HEADERS.items():`` / ``for name in NAMES:``: the loop variables name the keys or values
    of the iterated table, so a header written as ``headers[k] = v`` can be looked up in it."""
    inner = dict(loops)
    it = s.iter
    src_node = None
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "items":
        src_node = it.func.value
    elif isinstance(it, (ast.Name, ast.Attribute)):
        src_node = it
    if src_node is not None:
        if isinstance(s.target, ast.Tuple) and len(s.target.elts) == 2:
            k, v = s.target.elts
            if isinstance(k, ast.Name):
                inner[k.id] = ("keys", src_node)
            if isinstance(v, ast.Name):
                inner[v.id] = ("values", src_node)
        elif isinstance(s.target, ast.Name):
            inner[s.target.id] = ("keys", src_node)
    return inner


def _config_flag(test) -> str | None:
    """The flag of ``if app.config["ENABLE_CORS"]:`` / ``if config.get("ENABLE_CORS"):``, else None."""
    if isinstance(test, ast.Subscript):
        container, key = test.value, str_const(test.slice)
    elif isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "get" and test.args:
        container, key = test.func.value, str_const(test.args[0])
    else:
        return None
    return key if key and (dotted(container) or "").lower().endswith("config") else None
