"""scan/app_factory.py: apps, Flask subclasses, hooks, middleware bound to a module-level app."""

from ..util import model_of


def test_module_level_app_hooks_and_bindings(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": """
            from flask import Flask
            from flask_cors import CORS
            class CustomFlask(Flask):
                pass
            app = CustomFlask(__name__)
            CORS(app)
            app.before_request(load_user)
            @app.after_request
            def headers(response):
                response.headers["X-Frame-Options"] = "DENY"
                return response
            def create_app():
                inner = Flask("inner")
                inner.after_request(headers)
                return inner
            """
        },
    )
    assert project.flask_subclasses == {"CustomFlask"}
    assert [(f.target, f.line) for f in project.app_sites] == [("app", 5), ("inner", 13)]
    assert project.modules[0].apps == {"app"}
    assert sorted((h.kind, h.owner, h.module_level) for h in project.hooks) == [
        ("after_request", "app", True),
        ("after_request", "inner", False),
        ("before_request", "app", False),
    ]
    assert sorted((f.kind, f.owner) for f in project.module_bindings) == [
        ("@app.after_request", "app"),
        ("CORS", "app"),
        ("app.before_request", "app"),
    ]
    # load_user is not defined in the project: nothing says it is a header or logging hook
    assert sorted((f.kind, f.owner) for f in project.module_setup) == [("@app.after_request", "app"), ("CORS", "app")]


def test_wsgi_wrappers(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": """
            from flask import Flask
            from request_log import RequestLogMiddleware
            app = Flask(__name__)
            app.wsgi_app = RequestLogMiddleware(app.wsgi_app)
            """,
            "wsgi.py": """
            from flask import Flask
            from werkzeug.middleware.dispatcher import DispatcherMiddleware
            frame = Flask("frame")
            frame.wsgi_app = DispatcherMiddleware(Flask("x"), {})
            """,
        },
    )
    assert [(f.kind, f.module.rel) for f in project.module_setup] == [("wsgi_app", "app.py")]
