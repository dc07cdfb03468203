"""HDR003: the Server header is suppressed where the server adds it, read from how the repository serves the
app (deployment files and code), and the gunicorn patches it trusts checked against a real gunicorn."""

import sys
import textwrap

import pytest

from tests.support.http import request
from tests.support.servers import ManagedProcess, free_port

from ..util import scan

APP = {"app/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n"}


def hdr003(tmp_path, capsys, extra: dict) -> list[tuple[str, int, str]]:
    found = scan(tmp_path, {**APP, **extra}, capsys, "--select", "HDR003")
    return [(f["path"], f["line"], f["message"]) for f in found]


@pytest.mark.parametrize(
    "path,content,line,server",
    [
        (
            "Dockerfile",
            'FROM python:3.12\nRUN pip install gunicorn\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "app:create_app()"]\n',
            3,
            "gunicorn",
        ),
        ("Procfile", "release: flask db upgrade\nweb: gunicorn 'app:create_app()'\n", 2, "gunicorn"),
        ("boot.sh", "#!/bin/sh\nflask db upgrade\nexec gunicorn -b :5000 --access-logfile - app:app\n", 3, "gunicorn"),
        ("docker-compose.yml", "services:\n  web:\n    build: .\n    command: uwsgi --ini uwsgi.ini\n", 4, "uwsgi"),
        ("deploy/app.service", "[Service]\nExecStart=/srv/venv/bin/gunicorn app:app\n", 2, "gunicorn"),
        ("uwsgi.ini", "[uwsgi]\nmodule = app:app\nhttp = :8000\n", 1, "uwsgi"),
        (
            "run.py",
            "from app import create_app\napp = create_app()\nif __name__ == '__main__':\n    app.run(debug=True)\n",
            4,
            "werkzeug",
        ),
        (
            "serve.py",
            "from waitress import serve\nfrom app import create_app\nserve(create_app(), port=8080)\n",
            3,
            "waitress",
        ),
    ],
)
def test_hdr003_served_without_suppression(tmp_path, capsys, path, content, line, server):
    """The common violation: the app is served by a server that announces itself and nothing hides it."""
    ((where, at, message),) = hdr003(tmp_path, capsys, {path: content})
    assert (where, at) == (path, line)
    assert message.startswith(f"served by {server} (") and "nothing in the repository removes it" in message


def test_hdr003_with_no_deployment_at_all(tmp_path, capsys):
    """No deployment file: whatever serves it (gunicorn, the Werkzeug server) sends a Server header."""
    ((where, _line, message),) = hdr003(tmp_path, capsys, {})
    assert where == "app/__init__.py" and message.startswith("nothing in the repository suppresses the Server header")


def test_hdr003_installing_gunicorn_is_not_serving_with_it(tmp_path, capsys):
    ((_where, _line, message),) = hdr003(tmp_path, capsys, {"Dockerfile": "RUN pip install gunicorn==23.0.0\n"})
    assert message.startswith("nothing in the repository suppresses")


@pytest.mark.parametrize(
    "extra",
    [
        {  # nginx in front: version hidden, and proxy_pass drops the upstream Server (in another file)
            "deploy/nginx.conf": "http {\n  server_tokens off;\n  include conf.d/*.conf;\n}\n",
            "deploy/conf.d/app.conf": "server {\n  location / { proxy_pass http://app:8000; }\n}\n",
            "Dockerfile": "CMD gunicorn app:app\n",
        },
        {
            "deploy/site.conf": "<VirtualHost *:443>\n  WSGIDaemonProcess app\n"
            "  WSGIScriptAlias / /srv/app.wsgi\n</VirtualHost>\n"
        },
        {
            "serve.py": "from gevent.pywsgi import WSGIServer\nfrom app import create_app\n"
            "WSGIServer(('', 8000), create_app()).serve_forever()\n"
        },
        {"serve.py": "from waitress import serve\nfrom app import create_app\nserve(create_app(), ident='')\n"},
        {
            "gunicorn.conf.py": "import gunicorn\ngunicorn.SERVER = ''\n",
            "Procfile": "web: gunicorn -c gunicorn.conf.py app:app\n",
        },
    ],
)
def test_hdr003_suppressed_at_the_server(tmp_path, capsys, extra):
    assert hdr003(tmp_path, capsys, extra) == []


def test_hdr003_mod_wsgi_does_not_cover_a_gunicorn_image(tmp_path, capsys):
    """ihatemoney ships an Apache mod_wsgi template and a Docker image running gunicorn: the image leaks."""
    extra = {
        "conf/apache.conf.j2": "<VirtualHost *:80>\n  WSGIScriptAlias / /srv/app.wsgi\n</VirtualHost>\n",
        "conf/entrypoint.sh": "#!/bin/sh\nexec gunicorn app:app\n",
    }
    assert [(p, n) for p, n, _m in hdr003(tmp_path, capsys, extra)] == [("conf/entrypoint.sh", 2)]


def test_hdr003_server_software_patch_does_not_hide_the_header(tmp_path, capsys):
    """gunicorn >= 20 writes `Server: gunicorn.SERVER`; SERVER_SOFTWARE only reaches the WSGI environ
    (eq-questionnaire-runner, pgAdmin). Proved against a real gunicorn below."""
    extra = {
        "gunicorn_config.py": "import gunicorn\ngunicorn.SERVER_SOFTWARE = 'None'\n",
        "run_app.sh": "gunicorn -c gunicorn_config.py app:app\n",
    }
    assert [(p, n) for p, n, _m in hdr003(tmp_path, capsys, extra)] == [("run_app.sh", 1)]


WSGI_APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


@pytest.mark.parametrize(
    "config,server_header",
    [
        ("import gunicorn\ngunicorn.SERVER = 'x'\n", "x"),
        ("import gunicorn\ngunicorn.SERVER_SOFTWARE = 'x'\n", "gunicorn"),
        ("", "gunicorn"),
    ],
)
def test_what_gunicorn_really_sends(tmp_path, config, server_header):
    """The patches HDR003 accepts or rejects, on the wire: a real gunicorn on a random port."""
    (tmp_path / "wsgi.py").write_text(textwrap.dedent(WSGI_APP))
    (tmp_path / "gunicorn.conf.py").write_text(config)
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    server = ManagedProcess(argv, port, cwd=str(tmp_path)).start().wait_ready()
    try:
        assert request(port, "GET", "/").header("Server") == server_header
    finally:
        server.stop()


# whoogle-search's app/routes.py: a module of ~950 lines whose run_app() starts waitress (or the
# Werkzeug server with --debug) after parsing its command line. The validator parses large modules
# block by block and skips blocks without a word it looks for: the server start must be one.
_RUN_APP = """
import argparse
import waitress
from flask import request
from app import app


def run_app() -> None:
    parser = argparse.ArgumentParser(description="console runner")
    parser.add_argument("--port", default=5000, help="port")
    parser.add_argument("--debug", default=False, action="store_true")
    args = parser.parse_args()
    if args.debug:
        app.run(host="127.0.0.1", port=args.port, debug=True)
    else:
        waitress.serve(app, listen=f"127.0.0.1:{args.port}"{ident})
"""
_FILLER = "".join(f"\n\ndef helper_{i}(value):\n    return value + {i}\n" for i in range(15))


@pytest.mark.parametrize("ident", ["", ', ident=""'])
def test_hdr003_sees_a_server_started_in_a_large_module(tmp_path, capsys, ident):
    source = _RUN_APP.replace("{ident}", ident) + _FILLER
    assert source.count("\n") > 40  # above the size the validator parses whole
    found = hdr003(tmp_path, capsys, {"app/routes.py": source})
    if ident:  # waitress told to send no Server header
        assert found == []
    else:
        [(path, _line, message)] = found
        assert path == "app/routes.py" and message.startswith("served by "), found


def test_hdr003_names_the_production_server_before_a_dev_run(tmp_path, capsys):
    # httpbin, pgAdmin, searxng: a Dockerfile or entrypoint runs gunicorn, and a module ends with
    # `if __name__ == "__main__": app.run()` for development. The finding names what production runs.
    files = {
        "app.py": "from flask import Flask\napp = Flask(__name__)\n\nif __name__ == '__main__':\n    app.run()\n",
        "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-b", "0.0.0.0:80", "app:app"]\n',
    }
    [(path, _line, message)] = hdr003(tmp_path, capsys, files)
    assert path == "Dockerfile" and message.startswith("served by gunicorn"), message
