"""scan/headers.py: header writes, tables of headers, header libraries, reflected origins."""

from ..util import model_of


def test_writes_tables_and_libraries(tmp_path):
    project = model_of(
        tmp_path,
        {
            "headers.py": """
            SECURITY = {"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
            """,
            "app.py": """
            from flask import Flask, request
            from flask_talisman import Talisman
            from headers import SECURITY
            def create_app():
                app = Flask(__name__)
                Talisman(app, content_security_policy=None)
                @app.after_request
                def add(response):
                    for name, value in SECURITY.items():
                        response.headers[name] = value
                    response.headers.setdefault("X-Content-Type-Options", "nosniff")
                    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin")
                    del response.headers["Server"]
                    return response
                return app
            """,
        },
    )
    ops = {(h.op, h.name, h.value if isinstance(h.value, str) else None) for h in project.header_ops}
    assert ops == {
        ("set", "X-Frame-Options", "DENY"),
        ("set", "Referrer-Policy", "no-referrer"),
        ("setdefault", "X-Content-Type-Options", "nosniff"),
        ("set", "Access-Control-Allow-Origin", None),
        ("del", "Server", None),
    }
    (acao,) = [h for h in project.header_ops if h.name == "Access-Control-Allow-Origin"]
    assert acao.reflects_origin and not acao.conditional_on_origin
    assert [lib.kind for lib in project.header_libs] == ["talisman"]


def test_names_known_only_at_run_time(tmp_path):
    """searxng copies the headers of settings.yml: the names are a mechanism, but not known statically."""
    project = model_of(
        tmp_path,
        {
            "webapp.py": """
            from flask import Flask
            from settings import settings
            app = Flask(__name__)
            @app.after_request
            def add(response):
                for header, value in settings["server"]["default_http_headers"].items():
                    if header not in response.headers:
                        response.headers[header] = value
                return response
            """
        },
    )
    assert project.header_ops == []
    assert [(w.module.rel, w.line, w.func.name) for w in project.computed_header_writes] == [("webapp.py", 8, "add")]
