"""A small, well-behaved app the fixtures start from; each test breaks exactly one thing in it."""

GOOD = '''
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

ORIGIN = "https://app.example.com"
app = Flask(__name__)
app.config["RATELIMIT_HEADERS_ENABLED"] = True  # Retry-After on the 429
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")


@limiter.request_filter
def _preflight_is_free():
    return request.method == "OPTIONS"  # PREFLIGHT_FILTER


CORS(app, resources={r"^/api(?:/.*)?$": {"origins": [ORIGIN], "max_age": 600, "always_send": False,
                                         "expose_headers": ["X-Request-ID", "Retry-After"]}})
log = logging.getLogger("probeapp.requests")
log.setLevel(logging.INFO)
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-XSS-Protection": "0",
}


def accept(value):
    return value if value and _VALID.fullmatch(value) else None


@app.before_request
def _start():
    g.rid = accept(request.headers.get("X-Request-ID")) or uuid.uuid4().hex


@app.after_request
def _finish(resp):
    for name, value in HEADERS.items():
        resp.headers.setdefault(name, value)
    if request.is_secure:
        resp.headers.setdefault("Strict-Transport-Security", "max-age=63072000")
    resp.headers["X-Request-ID"] = g.get("rid") or uuid.uuid4().hex
    log.info("request completed", extra={"method": request.method, "path": request.path,
                                         "status": resp.status_code, "duration_ms": 0.5})
    return resp


@app.get("/api/health")
def health():
    return jsonify(status="ok")


@app.post("/api/auth/login")
@limiter.limit("5 per minute")  # LOGIN_LIMIT
def login():
    return jsonify(error="invalid_credentials"), 401
'''


# The Flask Mega-Tutorial's shape (microblog): config.py at the project root with config classes, a package
# `app` whose create_app takes a config class, and a root entry module. The package is GOOD inside a factory.
MEGA_CONFIG = '''
import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "not-a-secret"


class TestConfig(Config):
    TESTING = True
    RATELIMIT_ENABLED = False  # what test configs often do: the audit must then see no 429
'''
MEGA_ENTRY = '''
from app import create_app

app = create_app()
'''


def mega_tutorial_package() -> str:
    limiter = 'limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")\n'
    head, body = GOOD.replace(limiter, "limiter.init_app(app)\n").split("app = Flask(__name__)\n", 1)
    # the extension at module level, as microblog's app/__init__.py has it (a limiter local to the factory
    # is only weakly referenced by Flask-Limiter and is collected when RATELIMIT_ENABLED is False)
    head += 'limiter = Limiter(get_remote_address, storage_uri="memory://")\n\n\n'
    factory = "def create_app(config_class=Config):\n    app = Flask(__name__)\n"
    factory += "    app.config.from_object(config_class)\n"
    body = "".join("    " + line if line.strip() else line for line in body.splitlines(keepends=True))
    return "from config import Config\n" + head + factory + body + "\n    return app\n"
