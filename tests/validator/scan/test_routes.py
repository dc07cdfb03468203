"""scan/routes.py: every route with its URL, methods, view and owner."""

from ..util import model_of

FILES = {
    "app/__init__.py": """
    from flask import Flask
    def create_app():
        app = Flask(__name__)
        from .auth import auth
        app.register_blueprint(auth, url_prefix="/auth")
        from .api import bp
        app.register_blueprint(bp)
        return app
    """,
    "app/auth.py": """
    from flask import Blueprint
    from flask.views import MethodView
    auth = Blueprint("auth", __name__, url_prefix="/ignored")
    @auth.route("/login", methods=["GET", "POST"])
    def login():
        return ""
    @auth.post("/register")
    def register():
        return ""
    class ResetView(MethodView):
        decorators = [limiter.limit("3/hour")]
        def post(self):
            return ""
    auth.add_url_rule("/reset", view_func=ResetView.as_view("reset"))
    """,
    "app/api.py": """
    from flask import Blueprint
    from flask_restful import Api, Resource
    bp = Blueprint("api", __name__)
    api = Api(bp)
    class Token(Resource):
        def post(self):
            return {}
    api.add_resource(Token, "/api/v1/tokens")
    """,
}


def test_routes_urls_methods_and_views(tmp_path):
    project = model_of(tmp_path, FILES)
    found = {
        (project.full_path(r.module, r.owner, r.rule), r.name, tuple(sorted(r.methods or ())), r.class_based)
        for r in project.routes
    }
    assert found == {
        ("/auth/login", "login", ("GET", "POST"), False),
        ("/auth/register", "register", ("POST",), False),
        ("/auth/reset", "ResetView", ("POST",), True),
        ("/api/v1/tokens", "Token", ("POST",), True),
    }
    (login,) = [r for r in project.routes if r.name == "login"]
    assert login.view.name == "login"
    assert project.blueprint_url_prefixes[("app/auth.py", "auth")] == "/auth"  # register_blueprint wins


def test_view_classes_and_text_routes(tmp_path):
    project = model_of(tmp_path, FILES)
    (reset,) = project.view_classes["ResetView"]
    assert list(reset.methods) == ["post"] and len(reset.decorators) == 1
    assert ("auth", "/login") in {(owner, path) for _m, owner, path in project.text_routes}
    assert not project.render_template_used
