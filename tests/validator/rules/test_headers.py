"""HDR001-004."""

import pytest

from ..util import rules_of, scan

HOOK = """
from flask import Flask
def create_app():
    app = Flask(__name__)
    @app.after_request
    def headers(response):
{body}
        return response
    return app
"""
ALL = """\
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Strict-Transport-Security"] = "max-age=63072000"
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        response.headers["Referrer-Policy"] = "no-referrer"
"""


def hook(body):
    return {"app.py": HOOK.replace("{body}", body)}


def test_hdr001_nothing(tmp_path, capsys):
    """Each rule on its own: no mechanism (HDR001), so all five headers are missing (HDR002), and nothing
    suppresses the Server header either (HDR003)."""
    files = {"app.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n"}
    found = scan(tmp_path, files, capsys, "--select", "HDR")
    assert rules_of(found) == ["HDR001", "HDR002", "HDR003"]
    hdr002 = next(f for f in found if f["rule"] == "HDR002")
    assert hdr002["message"] == (
        "never set: X-Content-Type-Options, X-Frame-Options or CSP frame-ancestors, Strict-Transport-Security, "
        "Content-Security-Policy, Referrer-Policy"
    )
    assert hdr002["severity"] == "warning"


def test_hdr001_nginx_config_counts(tmp_path, capsys):
    files = {
        "app.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
        "deploy/nginx.conf": "server {\n  add_header X-Content-Type-Options nosniff always;\n"
        "  add_header X-Frame-Options DENY;\n"
        '  add_header Strict-Transport-Security "max-age=63072000";\n'
        "  add_header Content-Security-Policy \"default-src 'self'\";\n"
        "  add_header Referrer-Policy no-referrer;\n}\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR001,HDR002")) == []


def test_hdr001_apache_header_set(tmp_path, capsys):
    files = {
        "app.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
        "apache/site.conf": '<VirtualHost *:443>\nHeader always set X-Frame-Options "DENY"\n</VirtualHost>\n',
    }
    found = rules_of(scan(tmp_path, files, capsys, "--select", "HDR001,HDR002"))
    assert found == ["HDR002"]


def test_hdr002_all_set(tmp_path, capsys):
    assert rules_of(scan(tmp_path, hook(ALL), capsys, "--select", "HDR001,HDR002,HDR004")) == []


def test_hdr002_names_the_missing(tmp_path, capsys):
    body = ALL.replace('        response.headers["Referrer-Policy"] = "no-referrer"\n', "").replace(
        '        response.headers["X-Frame-Options"] = "DENY"\n', ""
    )
    found = scan(tmp_path, hook(body), capsys, "--select", "HDR002")
    assert len(found) == 1 and "Referrer-Policy" in found[0]["message"] and "X-Frame-Options" in found[0]["message"]


def test_hdr002_csp_frame_ancestors_replaces_xfo(tmp_path, capsys):
    body = ALL.replace('        response.headers["X-Frame-Options"] = "DENY"\n', "").replace(
        "default-src 'self'", "default-src 'self'; frame-ancestors 'none'"
    )
    assert rules_of(scan(tmp_path, hook(body), capsys, "--select", "HDR002")) == []


def test_hdr002_header_table_setdefault_loop(tmp_path, capsys):
    files = {
        "app/security.py": """
        SECURITY_HEADERS = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'self'",
            "Referrer-Policy": "no-referrer",
            "Strict-Transport-Security": "max-age=63072000",
        }
        def set_headers(response):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response
        def configure(app):
            app.after_request(set_headers)
    """,
        "app/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR001,HDR002,HDR004")) == []


def talisman_app(kwargs: str, requirement: str) -> dict:
    return {
        "app.py": f"""
        from flask import Flask
        from flask_talisman import Talisman
        def create_app():
            app = Flask(__name__)
            Talisman(app, {kwargs})
            return app
    """,
        "requirements.txt": requirement,
    }


@pytest.mark.parametrize(
    "kwargs,missing",
    [
        ("", None),
        ("content_security_policy=None", "Content-Security-Policy"),
        ("strict_transport_security=False", "Strict-Transport-Security"),
    ],
)
def test_hdr002_talisman_defaults(tmp_path, capsys, kwargs, missing):
    files = talisman_app(kwargs, "flask-talisman==1.1.0\n")
    found = scan(tmp_path, files, capsys, "--select", "HDR001,HDR002,HDR004")
    if missing is None:
        assert found == []
    else:
        assert rules_of(found) == ["HDR002"] and missing in found[0]["message"]


def test_hdr003_pop_server_is_ineffective(tmp_path, capsys):
    body = ALL + '        response.headers.pop("Server", None)\n        del response.headers["Server"]\n'
    assert rules_of(scan(tmp_path, hook(body), capsys, "--select", "HDR003")) == ["HDR003", "HDR003"]


@pytest.mark.parametrize(
    "extra",
    [
        {
            "gunicorn.conf.py": "from gunicorn.http import wsgi\n_orig = wsgi.Response.default_headers\n"
            "def _no_server(self):\n    return [h for h in _orig(self) if not h.startswith('Server')]\n"
            "wsgi.Response.default_headers = _no_server\n"
        },
        {"gunicorn_conf.py": "import gunicorn\ngunicorn.SERVER = 'x'\n"},
        {"deploy/nginx.conf": "server {\n  server_tokens off;\n  more_clear_headers Server;\n}\n"},
        {"deploy/site.conf": "ServerTokens Prod\nHeader unset Server\n"},
        {
            "serve.py": "from werkzeug.serving import WSGIRequestHandler\n"
            "class Quiet(WSGIRequestHandler):\n    def version_string(self):\n        return ''\n"
        },
    ],
)
def test_hdr003_server_level_suppression_accepted(tmp_path, capsys, extra):
    files = hook(ALL + '        response.headers.pop("Server", None)\n')
    files.update(extra)
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR003")) == []


def test_hdr003_nginx_server_tokens_alone_is_not_enough(tmp_path, capsys):
    files = hook(ALL + '        response.headers.pop("Server", None)\n')
    files["deploy/nginx.conf"] = "server {\n  server_tokens off;\n}\n"
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR003")) == ["HDR003"]


@pytest.mark.parametrize("value,expected", [('"1; mode=block"', ["HDR004"]), ('"1"', ["HDR004"]), ('"0"', [])])
def test_hdr004_xss_header(tmp_path, capsys, value, expected):
    body = ALL + f'        response.headers["X-XSS-Protection"] = {value}\n'
    assert rules_of(scan(tmp_path, hook(body), capsys, "--select", "HDR004")) == expected


@pytest.mark.parametrize(
    "req,kwargs,expected",
    [
        ("flask-talisman==0.8.1\n", "", ["HDR004"]),
        ("flask-talisman<1.0\n", "", ["HDR004"]),
        ("flask-talisman==0.8.1\n", "x_xss_protection=False", []),
        ("flask-talisman==1.1.0\n", "", []),
        ("flask-talisman==1.0.0\n", "", ["HDR004"]),  # the default flipped in 1.1.0 (talisman.py at both tags)
        ("flask-talisman>=0.3.2,<1.1\n", "", ["HDR004"]),
        ("flask-talisman\n", "", []),
        ("flask-talisman>=1.0\n", "x_xss_protection=True", ["HDR004"]),
    ],
)
def test_hdr004_talisman(tmp_path, capsys, req, kwargs, expected):
    files = talisman_app(kwargs, req)
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR004")) == expected


def test_hdr_headers_named_by_settings_are_a_mechanism(tmp_path, capsys):
    """searxng copies headers from settings.yml, pgAdmin takes their names from config values: HDR002 with a
    note, not HDR001 ("nothing sets security headers")."""
    for body in (
        "        for header, value in settings['server']['default_http_headers'].items():\n"
        "            response.headers[header] = value\n",
        "        response.headers[config.X_CONTENT_TYPE_OPTIONS_HEADER] = 'nosniff'\n",
    ):
        found = scan(tmp_path, hook(body), capsys, "--select", "HDR001,HDR002")
        assert [f["rule"] for f in found] == ["HDR002"], body
        assert "names are computed at run time, app.py:" in found[0]["message"]


def test_hdr_local_headers_dict_is_not_a_response(tmp_path, capsys):
    """changedetection.io fills a local `headers` dict for outbound requests; lemur passes Authorization to
    requests: neither is a security-header mechanism, nor where HDR002 should point."""
    body = "        headers = {}\n        for k, v in pairs:\n            headers[k.strip()] = v\n"
    assert rules_of(scan(tmp_path, hook(body), capsys, "--select", "HDR001,HDR002")) == ["HDR001", "HDR002"]
    body = (
        '        requests.get("https://idp.example", headers={"Authorization": "Bearer x"})\n'
        '        response.headers["X-Frame-Options"] = "DENY"\n'
    )
    found = scan(tmp_path, hook(body), capsys, "--select", "HDR002")
    assert found[0]["line"] == 7  # the X-Frame-Options write


def test_flask_sslify_sends_hsts(tmp_path, capsys):
    """flasky and flask-base turn on Flask-SSLify: it sends Strict-Transport-Security and nothing else."""
    files = {
        "app.py": "from flask import Flask\nfrom flask_sslify import SSLify\ndef create_app():\n"
        "    app = Flask(__name__)\n    SSLify(app)\n    return app\n"
    }
    found = scan(tmp_path, files, capsys, "--select", "HDR001,HDR002")
    assert [f["rule"] for f in found] == ["HDR002"]
    assert "Strict-Transport-Security" not in found[0]["message"] and "Referrer-Policy" in found[0]["message"]


def test_hdr_computed_names_in_a_view_are_not_a_mechanism(tmp_path, capsys):
    """httpbin's /response-headers and Mailu's nginx auth view copy arbitrary headers onto one response."""
    files = {
        "app.py": """
        from flask import Flask, request
        def create_app():
            app = Flask(__name__)
            @app.get("/response-headers")
            def response_headers():
                response = app.response_class("ok")
                for key, value in request.args.items():
                    response.headers[key] = value
                return response
            return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR001,HDR002")) == ["HDR001", "HDR002"]


def test_talisman_subclasses_views_and_settings_spreads(tmp_path, capsys):
    """jazzband's JazzbandTalisman(Talisman); invenio-app-rdm's @talisman(...) on views of an app whose
    Talisman lives in a dependency; funding-service-design's Talisman(app, **Config.TALISMAN_SETTINGS)."""
    subclass = {
        "site/headers.py": """
        from flask_talisman import Talisman
        class SiteTalisman(Talisman):
            def _force_https(self):
                return None
        talisman = SiteTalisman()
        """,
        "site/factory.py": "from flask import Flask\nfrom .headers import talisman\ndef create_app():\n"
        "    app = Flask(__name__)\n    talisman.init_app(app)\n    return app\n",
        "requirements.txt": "flask-talisman==1.1.0\n",
    }
    assert rules_of(scan(tmp_path / "a", subclass, capsys, "--select", "HDR001,HDR002,HDR004")) == []
    view = {
        "rdm/views.py": """
        from flask import Blueprint
        from invenio_app import talisman
        bp = Blueprint("profiler", __name__)
        @bp.route("/profiler")
        @talisman(content_security_policy={"default-src": "'self'"})
        def profiler():
            return ""
        """
    }
    assert rules_of(scan(tmp_path / "b", view, capsys, "--select", "HDR001,HDR002")) == []
    spread = {
        "config.py": 'class DefaultConfig:\n    TALISMAN_SETTINGS = {"x_xss_protection": True, "force_https": True}\n',
        "app.py": "from flask import Flask\nfrom flask_talisman import Talisman\nfrom config import DefaultConfig\n"
        "def create_app():\n    app = Flask(__name__)\n    Talisman(app, **DefaultConfig.TALISMAN_SETTINGS)\n"
        "    return app\n",
    }
    found = scan(tmp_path / "c", spread, capsys, "--select", "HDR004")
    assert [(f["path"], f["message"]) for f in found] == [
        ("app.py", "Talisman sends X-XSS-Protection: 1; mode=block (x_xss_protection=True)")
    ]


def test_header_tables_configs_and_caddy(tmp_path, capsys):
    """OctoPrint adds a dict of security headers through tornado transforms; pgAdmin configures
    X_XSS_PROTECTION = "1; mode=block"; skylines' Caddyfile sets HSTS; an API-version header named by a
    constant is no security header (ironic-inspector)."""
    files = {
        "server.py": """
        from flask import Flask
        app = Flask(__name__)
        def header_transforms():
            added = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "sameorigin"}
            return added, ["Server"]
        """,
        "config.py": 'X_XSS_PROTECTION = "1; mode=block"\n',
        "docker/Caddyfile": 'example.org {\n\theader Strict-Transport-Security "max-age=31536000;"\n'
        "\treverse_proxy app:8000\n}\n",
    }
    found = scan(tmp_path / "a", files, capsys, "--select", "HDR001,HDR002,HDR004")
    assert [(f["rule"], f["path"], f["line"]) for f in found] == [
        ("HDR004", "config.py", 1),
        ("HDR002", "server.py", 4),
    ]
    assert found[1]["message"] == "never set: Content-Security-Policy, Referrer-Policy"
    version = {
        "api.py": """
        from flask import Flask
        app = Flask(__name__)
        @app.after_request
        def add_version_headers(res):
            res.headers[conf.MAX_VERSION_HEADER] = "1.18"
            return res
        """
    }
    assert rules_of(scan(tmp_path / "b", version, capsys, "--select", "HDR001")) == ["HDR001"]


def test_app_code_in_a_file_named_setup_py(tmp_path, capsys):
    """eq-questionnaire-runner builds its app in app/setup.py: it is code as well as maybe packaging."""
    files = {"app/setup.py": "from flask import Flask\nfrom flask_talisman import Talisman\n"
             "def create_app():\n    app = Flask(__name__)\n    Talisman(app)\n    return app\n",
             "requirements.txt": "flask-talisman==1.1.0\n"}  # fmt: skip
    assert rules_of(scan(tmp_path, files, capsys, "--select", "HDR001,HDR002")) == []
