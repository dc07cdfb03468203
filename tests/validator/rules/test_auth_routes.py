"""RATE001/RATE002 on authentication routes that are not plain `@bp.route("/login")` functions: route tables,
flask-restx namespaces, resource maps, view-registering helpers, @expose views, and views that check a
password or issue a token whatever their URL says."""

from ..util import scan


def rate(tmp_path, capsys, files) -> list[tuple[str, str]]:
    found = scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")
    return sorted((f["rule"], f["message"]) for f in found)


def rate002_urls(tmp_path, capsys, files) -> list[str]:
    """The 'POST /url (view)' each RATE002 finding names."""
    prefix = "authentication route "
    return sorted(
        m[len(prefix) :].split(" has ")[0].split(" is ")[0] for r, m in rate(tmp_path, capsys, files) if r == "RATE002"
    )


def test_route_tables_of_class_views(tmp_path, capsys):
    """zou and rotki list (path, MethodView) pairs, timesketch (Resource, path), registered in a loop."""
    files = {
        "api/resources.py": """
        from flask.views import MethodView
        from flask_restful import Resource
        class LoginResource(MethodView):
            def post(self):
                return {}
        class LogoutResource(MethodView):
            def get(self):
                return {}
        class SketchResource(Resource):
            def post(self):
                return {}
        class UserPasswordChange(Resource):
            def patch(self):
                return {}
        """,
        "api/__init__.py": """
        from flask import Blueprint
        from .resources import LoginResource, LogoutResource, SketchResource, UserPasswordChange
        routes = [("/auth/login", LoginResource), ("/auth/logout", LogoutResource)]
        API_ROUTES = [(SketchResource, "/sketches/<int:sketch_id>/"), (UserPasswordChange, "/users/<name>/password")]
        not_routes = [("/static", "static_folder")]
        def configure(blueprint):
            for path, resource in routes:
                blueprint.add_url_rule(path, view_func=resource.as_view(path))
        """,
    }
    assert rate002_urls(tmp_path, capsys, files) == [
        "PATCH /users/<name>/password (UserPasswordChange)",
        "POST /auth/login (LoginResource)",
    ]


def test_flask_restx_namespaces_on_an_api_blueprint(tmp_path, capsys):
    """CTFd: Namespace("tokens") added at /tokens to an Api on the /api/v1 blueprint; TokenList.post issues
    a token (generate_user_token), UserPrivate.patch checks the current password."""
    files = {
        "ctf/api/__init__.py": """
        from flask import Blueprint
        from flask_restx import Api
        from ctf.api.v1.tokens import tokens_namespace
        from ctf.api.v1.users import users_namespace
        api = Blueprint("api", __name__, url_prefix="/api/v1")
        API_v1 = Api(api, version="v1")
        API_v1.add_namespace(tokens_namespace, "/tokens")
        API_v1.add_namespace(users_namespace, "/users")
        """,
        "ctf/api/v1/tokens.py": """
        from flask_restx import Namespace, Resource
        tokens_namespace = Namespace("tokens", description="Endpoint to retrieve Tokens")
        @tokens_namespace.route("")
        class TokenList(Resource):
            def get(self):
                return []
            def post(self):
                token = generate_user_token(get_current_user())
                return {"data": token}
        """,
        "ctf/api/v1/users.py": """
        from flask_restx import Namespace, Resource
        users_namespace = Namespace("users")
        @users_namespace.route("/me")
        class UserPrivate(Resource):
            def get(self):
                return {}
            def patch(self):
                if not verify_password(request.json["confirm"], user.password):
                    return {"errors": "wrong"}, 400
                return {}
        """,
    }
    assert rate002_urls(tmp_path, capsys, files) == [
        "PATCH /api/v1/users/me (UserPrivate)",
        "POST /api/v1/tokens (TokenList)",
    ]


def test_resource_maps_and_view_registering_helpers(tmp_path, capsys):
    """keystone's construct_resource_map(resource=..., url=...); flaskbb's register_view(bp, routes=[...],
    view_func=...) on an auth blueprint limited as a whole, and a password change elsewhere that is not."""
    files = {
        "ks/api/auth.py": """
        from flask_restful import Resource
        class AuthTokenResource(Resource):
            def post(self):
                return {}
        resource_mapping = [construct_resource_map(resource=AuthTokenResource, url="/auth/tokens")]
        """,
        "bb/auth/views.py": """
        from flask import Blueprint
        from flask.views import MethodView
        from bb.extensions import limiter
        auth = Blueprint("auth", __name__)
        class Login(MethodView):
            def post(self):
                return ""
        def setup(app):
            register_view(auth, routes=["/login"], view_func=Login.as_view("login"))
            limiter.limit("5/minute")(auth)
            app.register_blueprint(auth, url_prefix="/auth")
        """,
        "bb/user/views.py": """
        from flask import Blueprint
        from flask.views import MethodView
        user = Blueprint("user", __name__)
        class ChangePassword(MethodView):
            def post(self):
                return ""
        register_view(user, routes=["/settings/password"], view_func=ChangePassword.as_view("change_password"))
        """,
        "bb/extensions.py": "from flask_limiter import Limiter\nlimiter = Limiter(key_func=lambda: 'x')\n",
    }
    assert rate002_urls(tmp_path, capsys, files) == [
        "POST /auth/tokens (AuthTokenResource)",
        "POST /settings/password (ChangePassword)",
    ]


def test_views_that_sign_in_or_issue_tokens_whatever_their_url(tmp_path, capsys):
    """cookiecutter-flask signs in on POST / (login_user), ltd-keeper issues tokens on GET /token behind
    basic auth, Flask-AppBuilder exposes /login/ on a view class; logging out is not a sign-in."""
    files = {
        "app.py": """
        from flask import Flask
        from flask_login import login_user, logout_user
        def create_app():
            app = Flask(__name__)
            @app.route("/", methods=["GET", "POST"])
            def home():
                if form.validate_on_submit():
                    login_user(form.user)
                return render_template("home.html")
            @app.get("/token")
            @password_auth.login_required
            def get_auth_token():
                return {"token": g.user.generate_auth_token()}
            @app.post("/logout")
            def logout():
                if check_password(current_user, request.form["password"]):
                    logout_user()
                return ""
            return app
        class AuthDBView(BaseView):
            @expose("/login/", methods=["GET", "POST"])
            def login(self):
                return ""
        """
    }
    found = rate(tmp_path, capsys, files)
    assert found[0] == ("RATE001", "no rate limiting anywhere, yet POST / (home) and 2 more accept credentials")
    assert rate002_urls(tmp_path, capsys, files) == [
        "GET /token (get_auth_token)",
        "POST / (home)",
        "POST /login/ (login)",
    ]


def test_a_second_app_in_the_same_repository(tmp_path, capsys):
    """Mailu's setup app and pritunl's setup server: every app's auth routes count."""
    files = {
        "core/app.py": """
        from flask import Flask
        from flask_limiter import Limiter
        def create_app():
            app = Flask(__name__)
            limiter = Limiter(key_func=lambda: "x", app=app, default_limits=["100/hour"])
            @app.post("/login")
            @limiter.limit("5/minute")
            def login():
                return ""
            return app
        """,
        "setup/server.py": """
        from flask import Flask
        app = Flask(__name__)
        @app.post("/register")
        def register():
            return ""
        """,
    }
    assert rate002_urls(tmp_path, capsys, files) == ["POST /register (register)"]


def test_what_is_and_is_not_a_rate_limiter(tmp_path, capsys):
    """nginx limit_req in front limits requests per client; a RateLimitForm in an admin view does not."""
    app = """
    from flask import Flask
    def create_app():
        app = Flask(__name__)
        @app.post("/login")
        def login():
            return ""
        @app.post("/admin/rate-limit")
        def set_rate_limit():
            form = AdminServiceRateLimitForm()
            return ""
        return app
    """
    assert [r for r, _m in rate(tmp_path, capsys, {"app.py": app})] == ["RATE001", "RATE002"]
    files = {"app.py": app, "deploy/nginx.conf": "server {\n  location /login { limit_req zone=login burst=5; }\n}\n"}
    assert [r for r, _m in rate(tmp_path / "nginx", capsys, files)] == ["RATE002"]


def test_library_auth_routes_and_view_class_helpers(tmp_path, capsys):
    """Flask-User's UserManager(app, db, User) registers sign-in, register and password routes itself;
    gramps-web-api hands (view class, path) pairs to its own register_endpt helper."""
    files = {
        "app/__init__.py": """
        from flask import Flask
        from flask_user import UserManager
        def create_app():
            app = Flask(__name__)
            UserManager(app, db, User)
            return app
        """,
        "app/api.py": """
        from flask.views import MethodView
        class UserChangePasswordResource(MethodView):
            def post(self, user_name):
                return {}
        class MetadataResource(MethodView):
            def get(self):
                return {}
        register_endpt(UserChangePasswordResource, "/users/<string:user_name>/password/change", "change_password")
        register_endpt(MetadataResource, "/metadata/", "metadata")
        """,
    }
    assert rate002_urls(tmp_path, capsys, files) == [
        "POST /user/change-password (user.change_password)",
        "POST /user/forgot-password (user.forgot_password)",
        "POST /user/register (user.register)",
        "POST /user/sign-in (user.login)",
        "POST /users/<string:user_name>/password/change (UserChangePasswordResource)",
    ]


def test_post_on_a_users_collection_is_a_sign_up(tmp_path, capsys):
    """Issue 16: POST /api/users creates a user (an API sign-up); GET /api/users lists them, a POST under
    a variable (/orgs/<org>/members) or on one user (/users/<id>) acts on something that exists, and one
    behind a login or admin decorator, a base class's decorators or a permission check in its body is user
    management (redash, OctoPrint, pybossa, gramps-web-api, keystone)."""
    files = {
        "app/api.py": """
        from flask import Blueprint
        from flask.views import MethodView
        bp = Blueprint("api", __name__, url_prefix="/api")
        @bp.route("/users", methods=["POST"])
        def create_user():
            return {}, 201
        auth_bp = Blueprint("auth", __name__, url_prefix="/auth")
        @auth_bp.post("/members")
        def join():  # the blueprint's name says auth, the route is open
            return {}, 201
        @bp.get("/users")
        def get_users():
            return []
        @bp.route("/users/<int:id>", methods=["GET", "POST", "PUT"])
        def update_user(id):
            return {}
        @bp.post("/orgs/<org>/members")
        def add_member(org):
            return {}
        @bp.route("/accounts/", methods=["GET", "POST"])
        def accounts():
            return {}
        @bp.post("/projects")
        def create_project():
            return {}
        class MemberList(MethodView):
            def get(self):
                return []
            def post(self):
                return {}
        class UserList(MethodView):
            def get(self):
                return []
        bp.add_url_rule("/members", view_func=MemberList.as_view("members"))
        bp.add_url_rule("/v2/users", view_func=UserList.as_view("users"))
        class AccountList(MethodView):
            decorators = [login_required]
            def post(self):
                return {}
        bp.add_url_rule("/v2/accounts", view_func=AccountList.as_view("v2_accounts"))
        @bp.post("/admin/users")
        @login_required
        @admin_required
        def admin_create_user():  # user management behind a login: not a sign-up
            return {}, 201
        @bp.post("/v1/users")
        @anon_allowed
        def docker_users():  # quay's docker login/sign-up: open to anyone
            return {}
        class ProtectedResource(MethodView):
            decorators = [jwt_required]
        class UsersResource(ProtectedResource):  # gramps: the base class requires a JWT
            def post(self):
                return {}
        bp.add_url_rule("/v3/users", view_func=UsersResource.as_view("v3_users"))
        @bp.post("/v4/users")
        def keystone_users():  # keystone: the policy check is in the body
            ENFORCER.enforce_call(action="identity:create_user")
            return {}
        @bp.post("/v5/users")
        def admin_only_users():
            if not current_user.is_admin:
                abort(403)
            return {}
        """,
    }
    expected = [
        "POST /api/accounts/ (accounts)",
        "POST /api/members (MemberList)",
        "POST /api/users (create_user)",
        "POST /api/v1/users (docker_users)",
        "POST /auth/members (join)",
    ]
    assert rate002_urls(tmp_path, capsys, files) == expected
    # the lazy parser reads these route blocks (parsing.AUTH_HINT_WORDS), so a full parse finds the same
    full = scan(tmp_path, files, capsys, "--select", "RATE002", "--full-parse")
    assert sorted(f["message"].split("route ")[1].split(" has ")[0] for f in full) == expected


def _rate002_hints(tmp_path, capsys, files) -> dict[str, str]:
    found = scan(tmp_path, files, capsys, "--select", "RATE002")
    return {f["message"].split(" (")[0].removeprefix("authentication route "): f["hint"] for f in found}


def test_rate002_hint_names_the_limit_for_the_kind_of_route(tmp_path, capsys):
    """Login and token routes 10 per minute; password reset, sign-up and OTP 3 per hour, as
    docs/skill/adapting.md says."""
    files = {
        "app/auth.py": """
        from flask import Blueprint
        bp = Blueprint("auth", __name__, url_prefix="/api/auth")
        @bp.post("/login")
        def login():
            return {}
        @bp.post("/token/refresh")
        def refresh():
            return {}
        @bp.post("/password-reset")
        def password_reset():
            return {}
        @bp.post("/register")
        def register():
            return {}
        @bp.post("/verify-otp")
        def verify_otp():
            return {}
        @bp.post("/users")
        def create_user():
            return {}
        """,
    }
    hints = _rate002_hints(tmp_path, capsys, files)
    limits = {url: hint.split('@limiter.limit("')[1].split('")')[0] for url, hint in hints.items()}
    assert limits == {
        "POST /api/auth/login": "10 per minute",
        "POST /api/auth/token/refresh": "10 per minute",
        "POST /api/auth/password-reset": "3 per hour",
        "POST /api/auth/register": "3 per hour",
        "POST /api/auth/verify-otp": "3 per hour",
        "POST /api/auth/users": "3 per hour",
    }
    assert hints["POST /api/auth/register"].startswith('A sign-up route: put @limiter.limit("3 per hour")')
    assert hints["POST /api/auth/users"].startswith("A sign-up route")
    assert hints["POST /api/auth/verify-otp"].startswith("An OTP route")
    assert hints["POST /api/auth/login"] == (
        'A login/token route: put @limiter.limit("10 per minute") directly under its route decorator (login and '
        "token routes 10 per minute; password reset, sign-up and OTP 3 per hour)."
    )


def test_recommended_limits_agree_with_skill_md_and_adapting_md():
    """The hint's limits are the ones SKILL.md and docs/skill/adapting.md teach."""
    import sys

    from ..util import REPO

    sys.path.insert(0, str(REPO / "scripts"))
    from validator.rules.auth_routes import LIMIT_KINDS, LOGIN_LIMIT

    skill = " ".join((REPO / "SKILL.md").read_text().split())
    adapting = " ".join((REPO / "docs" / "skill" / "adapting.md").read_text().split())
    assert f'@limiter.limit("{LOGIN_LIMIT[1]}")` (login)' in skill
    assert '@limiter.limit("3 per hour")` (password reset, sign-up' in skill
    assert {limit for _, limit, _, _ in LIMIT_KINDS} == {"3 per hour"}
    assert "Sign-up (also an API's `POST /users`) and OTP: use the password-reset limit (`3 per hour`)" in adapting
    assert "login and token routes `10 per minute`" in adapting


def test_basic_auth_routes_named_as_adapting_md_says(tmp_path, capsys):
    """whoogle-search: HTTP Basic auth on views whose URL is built at run time (f'/{Endpoint.config}'),
    which the validator cannot read. adapting.md tells the agent to name such routes in
    auth-route-patterns; its example must make RATE002 check them."""
    import json
    import re

    from tests.skill.tools import REPO_ROOT

    text = (REPO_ROOT / "docs/skill/adapting.md").read_text(encoding="utf-8")
    [bullet] = [b for b in text.split("\n- ") if b.startswith("HTTP Basic auth")]
    [example] = re.findall(r"`(\[[^`]*\])`", " ".join(bullet.split()))
    patterns = json.loads(example)
    routes = """
    from enum import Enum
    from functools import wraps
    from flask import Blueprint, request
    from .extensions import limiter
    class Endpoint(Enum):
        config = "config"
        def __str__(self):
            return self.value
    bp = Blueprint("main", __name__)
    def auth_required(f):
        @wraps(f)
        def decorated(*args, **kwargs):
            auth = request.authorization
            if auth and auth.password == "x":
                return f(*args, **kwargs)
            return "Not logged in", 401
        return decorated
    basic_auth_limit = limiter.shared_limit("10 per minute", scope="basic-auth")
    @bp.route(f"/{Endpoint.config}", methods=["GET", "POST", "PUT"])
    {limit}@auth_required
    def config():
        return "x"
    """
    files = {
        "app/__init__.py": "from flask import Flask\nfrom .extensions import limiter\nfrom .routes import bp\n"
        "def create_app():\n    app = Flask(__name__)\n    limiter.init_app(app)\n"
        "    app.register_blueprint(bp)\n    return app\n",
        "app/extensions.py": "from flask_limiter import Limiter\nfrom flask_limiter.util import get_remote_address\n"
        "limiter = Limiter(key_func=get_remote_address)\n",
        ".flask-middleware.yml": "auth-route-patterns:\n" + "".join(f"  - {json.dumps(p)}\n" for p in patterns),
    }
    unlimited = rate(tmp_path / "a", capsys, {**files, "app/routes.py": routes.replace("{limit}", "")})
    assert [r for r, _ in unlimited] == ["RATE002"], (patterns, unlimited)
    with_limit = routes.replace("{limit}", "@basic_auth_limit\n    ")
    limited = rate(tmp_path / "b", capsys, {**files, "app/routes.py": with_limit})
    assert limited == []
