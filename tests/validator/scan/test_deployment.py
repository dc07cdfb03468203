"""scan/deployment.py: server configs, and what suppresses the Server header."""

from ..util import model_of


def test_nginx_headers_and_server_suppression(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "deploy/nginx.conf": """
            server {
                server_tokens off;
                proxy_hide_header Server;
                add_header X-Frame-Options "DENY" always;
                location / { proxy_pass http://app:8000; }
            }
            """,
        },
    )
    (conf,) = project.server_confs
    assert conf.kind == "nginx" and conf.headers["x-frame-options"] == ("DENY", 4)
    assert project.server_header_suppression == [("deploy/nginx.conf", 2)]


def test_gunicorn_patch_and_werkzeug_handler(tmp_path):
    project = model_of(
        tmp_path,
        {
            "gunicorn.conf.py": "import gunicorn\ngunicorn.SERVER = 'x'\n",
            "serve.py": """
            from flask import Flask
            from werkzeug.serving import WSGIRequestHandler
            class QuietHandler(WSGIRequestHandler):
                server_version = "app"
            """,
        },
    )
    assert sorted(f.kind for f in project.server_header_suppression) == ["gunicorn-patch", "werkzeug-handler"]
