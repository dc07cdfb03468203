"""scan/rate_limit.py: limiters, per-route limits and exemptions, home-made limiters, key functions."""

from ..util import model_of


def test_limits_exemptions_and_targets(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": """
            from flask import Flask, abort
            from flask_limiter import Limiter
            from flask_limiter.util import get_ipaddr
            limiter = Limiter(get_ipaddr, default_limits=["100/hour"])
            def create_app():
                app = Flask(__name__)
                limiter.init_app(app)
                limiter.limit("5/minute")(reset)
                return app
            @app.post("/login")
            @limiter.limit("10/minute")
            def login():
                return ""
            @app.post("/token")
            @limiter.exempt
            def token():
                return ""
            @app.post("/reset")
            def reset():
                return ""
            @app.post("/signup")
            def signup():
                if too_many(request.remote_addr):
                    abort(429)
                return ""
            """
        },
    )
    assert [f.target for f in project.limiter_calls] == ["limiter"]
    flags = {r.name: (r.limited, r.exempt) for r in project.routes}
    assert flags == {"login": (True, False), "token": (False, True), "reset": (True, False), "signup": (True, False)}
    assert [k.client_source for k in project.rate_key_funcs] == ["get_ipaddr"]


def test_a_client_header_in_a_key_function(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": """
            from flask import Flask, request
            from flask_limiter import Limiter
            def client_ip():
                return request.headers.get("X-Forwarded-For", request.remote_addr)
            def proxied_ip():
                return request.headers["X-Forwarded-For"].split(",")[-1]
            limiter = Limiter(key_func=client_ip)
            other = Limiter(key_func=proxied_ip)
            """
        },
    )
    assert [k.client_source for k in project.rate_key_funcs] == ["the X-Forwarded-For request header", None]
