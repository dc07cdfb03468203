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
