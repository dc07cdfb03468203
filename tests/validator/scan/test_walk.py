"""The walker: the context it gives scanners, the order and uniqueness of what it dispatches."""

from validator.scan import walk

from ..util import model_of


def test_dev_branch_and_config_guard_reach_the_facts(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": """
            from flask import Flask
            from flask_cors import CORS
            def create_app():
                app = Flask(__name__)
                if app.config["ENABLE_CORS"]:
                    CORS(app)
                if app.debug:
                    @app.after_request
                    def allow_all(response):
                        response.headers["Access-Control-Allow-Origin"] = "*"
                        return response
                return app
            """
        },
    )
    (cors,) = project.cors_calls
    assert cors.guard == "ENABLE_CORS" and not cors.in_dev_branch
    (acao,) = [h for h in project.header_ops if h.name == "Access-Control-Allow-Origin"]
    assert acao.in_dev_branch and acao.value == "*"


def test_local_imports_are_followed_in_source_order(tmp_path):
    """LibreTranslate imports flask_limiter's Limiter in one branch and a no-op stub in the other."""
    project = model_of(
        tmp_path,
        {
            "app.py": """
            from flask import Flask
            def create_app(args):
                app = Flask(__name__)
                if args.req_limit:
                    from flask_limiter import Limiter
                    limiter = Limiter(key_func=lambda: "x", app=app)
                else:
                    from .no_limiter import Limiter
                    limiter = Limiter()
                return app
            """
        },
    )
    assert [f.line for f in project.limiter_calls] == [6]
    assert project.limiter_names == {"limiter"}


def test_every_call_is_dispatched_once_with_its_assignment_target(tmp_path):
    seen = []

    class Recorder(walk.Scanner):
        def visit_Call(self, ctx, call, name, resolved, tail):
            seen.append((name, resolved, tail, ctx.target, ctx.func.name if ctx.func else None))

    from validator.config import Config
    from validator.model import Project
    from validator.parsing import parse_source
    from validator.scan import ProjectScan

    src = "from flask_cors import CORS as C\ndef f():\n    cors = C(origins=str(1))\n"
    scan = ProjectScan(Project(str(tmp_path), Config()))
    scan.scanners = [Recorder(scan.project)]
    scan.handlers = {kind: [] for kind in walk.VISITS} | {"Call": [scan.scanners[0].visit_Call]}
    scan.scan_module(parse_source("m.py", "m.py", src.encode(), lazy=False))
    assert seen == [("C", "flask_cors.CORS", "CORS", "cors", "f"), ("str", "str", "str", None, "f")]
    assert project_functions(scan.project) == {"f": ["m.py"]}


def project_functions(project):
    return {name: [m.rel for m, _f in defs] for name, defs in project.functions.items()}
