"""CORS: ``CORS(app, ...)`` and ``@cross_origin(...)`` of flask-cors, with the options of a later
``cors.init_app(app, ...)`` merged in. Hand-written ``Access-Control-*`` headers are header writes
(``headers.py``); the rules read both."""

from __future__ import annotations

import ast

from ..astutil import dotted, kwarg, last
from ..model import Fact
from .app_factory import record_module_setup
from .walk import Scanner


class CorsScanner(Scanner):
    def __init__(self, project):
        super().__init__(project)
        self.init_app_calls: list[tuple[str, Fact]] = []  # (receiver, x.init_app(...) fact)

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        if tail == "CORS" and ctx.is_library(resolved, name, "flask_cors"):
            app_arg = (dotted(call.args[0]) if call.args else None) or dotted(kwarg(call, "app"))
            fact = ctx.fact(
                "CORS",
                call,
                func=ctx.func,
                module_level=ctx.module_level,
                target=ctx.target,
                owner=app_arg,
                dev=ctx.dev,
            )
            self.project.cors_calls.append(fact)
            record_module_setup(ctx, "CORS", call, app_arg)
        elif tail == "cross_origin" and ctx.is_library(resolved, name, "flask_cors"):
            self.project.cors_calls.append(ctx.fact("cross_origin", call, func=ctx.func, dev=ctx.dev))
        elif kwarg(call, "cors_allowed_origins") is not None:
            # Flask-SocketIO / engine.io: SocketIO(app, cors_allowed_origins="*") or socketio.init_app(...)
            self.project.cors_calls.append(ctx.fact("socketio", call, func=ctx.func, dev=ctx.dev))
            record_module_setup(ctx, "SocketIO CORS", call, dotted(call.args[0]) if call.args else None)
        elif tail == "init_app" and isinstance(call.func, ast.Attribute):
            receiver = dotted(call.func.value)
            if receiver:
                self.init_app_calls.append((receiver, ctx.fact("init_app", call, func=ctx.func, dev=ctx.dev)))

    def finish(self) -> None:
        """``cors = CORS()`` then ``cors.init_app(app, origins=...)``: flask-cors merges the two, init_app's
        options winning. Each init_app becomes the CORS fact the rules read (at its own location)."""
        project = self.project
        for fact in list(project.cors_calls):
            if fact.kind != "CORS" or fact.owner or not fact.target:
                continue
            inits = [f for receiver, f in self.init_app_calls if last(receiver) == last(fact.target)]
            if not inits:
                continue
            project.cors_calls.remove(fact)
            for init in inits:
                project.cors_calls.append(_bound(fact, init))


def _bound(fact: Fact, init: Fact) -> Fact:
    call = init.node
    app = dotted(call.args[0]) if call.args else dotted(kwarg(call, "app"))
    dev = fact.in_dev_branch or init.in_dev_branch
    if not call.keywords and fact.node.keywords:  # options all in the constructor: keep its location
        bound = Fact(
            "CORS", fact.module, fact.node, fact.line, fact.col, fact.func, fact.module_level, fact.target, app, dev
        )
    else:
        merged = ast.Call(func=call.func, args=call.args, keywords=[*fact.node.keywords, *call.keywords])
        ast.copy_location(merged, call)
        bound = Fact(
            "CORS", init.module, merged, init.line, init.col, init.func, init.module_level, fact.target, app, dev
        )
    bound.guard = init.guard or fact.guard
    return bound
