"""How the app is served: the deployment files that start it (Dockerfile, Procfile, entrypoint scripts,
docker-compose and k8s manifests, systemd and supervisor units, uWSGI ini files), the code that starts a
server (``app.run()``, waitress, gevent, cheroot, tornado, a gunicorn ``BaseApplication``), the nginx and
Apache configs in front, and what removes the ``Server`` header: gunicorn config patches, Werkzeug
handlers that stop announcing themselves, nginx ``server_tokens off`` behind a proxy, Apache
``ServerTokens Prod`` or mod_wsgi, server options (waitress ``ident``, uvicorn ``server_header``...).

Access logs the server writes with a duration (uWSGI's default request line, gunicorn
``--access-logformat`` with ``%(L)s``, nginx ``$request_time``, gevent's pywsgi log) count as the
completion log LOG002 asks for.
"""

from __future__ import annotations

import ast
import re

from ..astutil import dotted, kwarg, last, str_const
from ..lazyre import lazy
from ..model import Project, ServedBy, ServerConf
from .walk import Scanner

# A server started from a command line: the command word, not a path or package name (gunicorn.conf.py,
# pip install gunicorn, gunicorn==23.0 are skipped by _command_lines).
SERVER_COMMANDS = (
    ("gunicorn", lazy(r"(?<![\w.=-])gunicorn(?![\w./=-])")),
    ("uwsgi", lazy(r"(?<![\w.=-])uwsgi(?![\w./=-])")),
    ("werkzeug", lazy(r"(?<![\w./-])flask\b[^\n#]*\srun\b")),
    ("waitress", lazy(r"waitress-serve")),
    ("hypercorn", lazy(r"(?<![\w.=-])hypercorn(?![\w./=-])")),
    ("uvicorn", lazy(r"(?<![\w.=-])uvicorn(?![\w./=-])")),
    ("granian", lazy(r"(?<![\w.=-])granian(?![\w./=-])")),
    ("mod_wsgi", lazy(r"mod_wsgi-express")),
)
# what the server says about itself, for the message (None: it sends no Server header of its own). uWSGI
# sends none, but what fronts it does (the contract counts it as a violation without a suppression); mod_wsgi
# "instead of gunicorn" counts as suppressed.
SERVER_HEADER = {
    "gunicorn": "Server: gunicorn",
    "werkzeug": "Server: Werkzeug/<version> Python/<version>",
    "uwsgi": "Server: <the server in front: nginx/<version>, Apache/<version>>",
    "waitress": "Server: waitress",
    "hypercorn": "server: hypercorn-h11",
    "uvicorn": "server: uvicorn",
    "granian": "server: granian",
    "mod_wsgi": None,
    "gevent": None,
    "cheroot": "Server: Cheroot/<version>",
    "tornado": "Server: TornadoServer/<version>",
    "wsgiref": "Server: WSGIServer/0.2 CPython/<version>",
}
_INSTALLS = lazy(r"(?i)\b(?:pip3?|poetry|uv|pipenv|apt(?:-get)?|apk|conda|yum|dnf)\b[^\n]*\b(?:install|add)\b")
_DOCKER_RUNS = lazy(r"(?i)^\s*(?:CMD|ENTRYPOINT)\b")
_UWSGI_NO_LOG = lazy(r"(?i)disable[-_]logging\s*(?:=\s*(?:true|1|yes))?(?:\s|$)")
_GUNICORN_DURATION = lazy(r"access[-_]log[-_]?format[^\n]*%\((?:D|T|L|M)\)s")


def _secondary(rel: str) -> bool:
    """An example or contributed set-up next to the app, not the way it is shipped."""
    return any(part in ("contrib", "examples", "example", "samples", "sample") for part in rel.split("/")[:-1])


def served_by(server: str, rel: str, line: int, text: str) -> ServedBy:
    return ServedBy(server, rel, line, text, SERVER_HEADER.get(server))


def _command_lines(rel: str, text: str):
    """(line number, line) of the lines that may start a server: a Dockerfile's CMD/ENTRYPOINT (with its
    continuation lines), any other non-comment line that does not install packages."""
    docker = rel.rsplit("/", 1)[-1].lower().startswith(("dockerfile", "containerfile")) or rel.endswith(".dockerfile")
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, line = i, lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "//", "[")) or _INSTALLS.search(line):
            continue
        if docker and not _DOCKER_RUNS.match(line):
            continue
        yield start + 1, stripped


def _servers_in(line: str) -> list[str]:
    return [server for server, rx in SERVER_COMMANDS if rx.search(line)]


def scan_deployment_file(project: Project, full: str, rel: str) -> None:
    """Dockerfile, Procfile, scripts, compose/k8s manifests, systemd units, uWSGI ini files."""
    with open(full, encoding="utf-8", errors="replace") as fh:
        text = fh.read(512 * 1024)
    if rel.endswith(".ini") and "[uwsgi]" not in text:
        return  # tox.ini, pytest.ini, alembic.ini ...
    if rel.rsplit("/", 1)[-1].startswith("Caddyfile"):
        scan_caddyfile(project, rel, text)
    if "[uwsgi]" in text:
        line = text[: text.index("[uwsgi]")].count("\n") + 1
        project.servers.append(served_by("uwsgi", rel, line, "[uwsgi]"))
        if _UWSGI_NO_LOG.search(text):
            project.uwsgi_logging_disabled = True
        return
    scan_commands(project, rel, text)


_CADDY_HEADER = lazy(r"""^\s*(?:header\s+(?:@\S+\s+)?)?([A-Za-z][A-Za-z0-9-]*)\s+["']?([^"'\n{]*)""")


def scan_caddyfile(project: Project, rel: str, text: str) -> None:
    """Caddy: `header Name "value"`, or a `header {` block of `Name value` lines (skylines' HSTS)."""
    conf = ServerConf(rel, "caddy")
    in_block = False
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("header") and stripped.endswith("{"):
            in_block = True
            continue
        if in_block and stripped.startswith("}"):
            in_block = False
            continue
        if (in_block or stripped.startswith("header ")) and (m := _CADDY_HEADER.match(line)):
            name = m.group(1)
            if name.lower() != "header" and not name.startswith("-"):
                conf.headers.setdefault(name.lower(), (m.group(2).strip(), i))
    project.server_confs.append(conf)


_SERVER_WORDS = ("gunicorn", "uwsgi", "flask", "waitress", "hypercorn", "uvicorn", "granian", "mod_wsgi")


def scan_commands(project: Project, rel: str, text: str) -> None:
    if not any(map(text.__contains__, _SERVER_WORDS)):
        return  # most scripts and manifests start no Python server: skip the line-by-line patterns
    for number, line in _command_lines(rel, text):
        for server in _servers_in(line):
            project.servers.append(served_by(server, rel, number, line[:120]))
            if server == "uwsgi" and _UWSGI_NO_LOG.search(line):
                project.uwsgi_logging_disabled = True
            if server == "gunicorn" and "access-logfile" in line and _GUNICORN_DURATION.search(line):
                project.access_log_with_duration = True
            if server == "uvicorn" and "--no-server-header" in line:
                project.server_header_suppression.append((rel, number))


# server classes and functions started from code -> (server, option that silences its Server header)
PYTHON_SERVERS = {
    "run_simple": ("werkzeug", None),
    "WSGIServer": ("gevent", None),  # gevent.pywsgi; cheroot's wsgi.Server/WSGIServer is told apart below
    "serve": ("waitress", "ident"),
    "WSGIContainer": ("tornado", None),
    "make_server": ("wsgiref", None),
}


def _names_server(node) -> bool:
    """A literal list of header names that includes Server."""
    return isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(
        (str_const(e) or "").lower() == "server" for e in node.elts
    )


class DeploymentScanner(Scanner):
    def visit_ClassDef(self, ctx, c: ast.ClassDef) -> None:
        bases = [ctx.resolve(dotted(b)) for b in c.bases]
        # A Werkzeug / http.server request handler overriding what announces the server
        defined = {n.name for n in c.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assigned = {t.id for n in c.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        if any(b.endswith("RequestHandler") for b in bases) and (
            defined & {"send_response", "version_string"} or assigned & {"server_version", "sys_version"}
        ):
            self.project.server_header_suppression.append(ctx.fact("werkzeug-handler", c))
        # gunicorn embedded: class App(gunicorn.app.base.BaseApplication)
        if any(b.startswith("gunicorn.app") for b in bases):
            self.project.servers.append(served_by("gunicorn", ctx.module.rel, c.lineno, f"class {c.name}"))

    def visit_Assign(self, ctx, s) -> None:
        for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
            tname = dotted(t) or ""
            # gunicorn >= 20 builds the header from gunicorn.SERVER (SERVER_SOFTWARE is only the environ's)
            if tname.endswith(("default_headers", "gunicorn.SERVER", "wsgi.SERVER")) and "gunicorn" in ctx.src.text:
                self.project.server_header_suppression.append(ctx.fact("gunicorn-patch", s))
            # tornado: removed = ["Server"] handed to a header transform as removed_headers (OctoPrint)
            if "remove" in tname.lower() and _names_server(s.value):
                self.project.server_header_suppression.append(ctx.fact("removed-headers", s))
            # cheroot: server.server_name = "" (pritunl)
            if tname.endswith(".server_name") and str_const(s.value) == "":
                self.project.server_header_suppression.append(ctx.fact("server-name", s))

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        p, rel, line = self.project, ctx.module.rel, call.lineno
        if tail == "run" and isinstance(call.func, ast.Attribute) and not resolved.startswith("uvicorn"):
            receiver = last(dotted(call.func.value))
            server_args = any(kw.arg in ("host", "port", "debug", "use_reloader") for kw in call.keywords)
            if receiver in ctx.module.apps or (
                receiver in ("app", "application", "socketio", "flask_app") and (ctx.module.is_flask or server_args)
            ):
                p.servers.append(served_by("werkzeug", rel, line, f"{dotted(call.func)}()"))
            return
        if tail == "clear_header" and call.args and (str_const(call.args[0]) or "").lower() == "server":
            p.server_header_suppression.append(ctx.fact("tornado-clear-header", call))
        if _names_server(kwarg(call, "removed_headers")):
            p.server_header_suppression.append(ctx.fact("removed-headers", call))  # OctoPrint's WsgiInputContainer
        if tail == "run" and resolved.startswith("uvicorn"):
            self.served(ctx, call, "uvicorn", "server_header")
        elif tail.endswith("WSGIContainer") and tail != "WSGIContainer":  # calibre-web's MyWSGIContainer
            self.served(ctx, call, "tornado", None)
        elif tail in PYTHON_SERVERS and (tail != "serve" or resolved.startswith("waitress")):
            server, option = PYTHON_SERVERS[tail]
            if tail == "WSGIServer" and "cheroot" in resolved:
                server, option = "cheroot", "server_name"
            self.served(ctx, call, server, option)
        elif tail == "Server" and "cheroot" in resolved:
            self.served(ctx, call, "cheroot", "server_name")

    def finish(self) -> None:
        # uWSGI logs "GET /x => generated 2 bytes in 1 msecs (HTTP/1.1 200)" per request unless some config
        # or command of the project disables it; an example under contrib/ is not how the app is served
        servers = self.project.servers
        shipped = [s for s in servers if not _secondary(s.rel)] or servers  # pybossa ships contrib/ only
        if not self.project.uwsgi_logging_disabled and any(s.server == "uwsgi" for s in shipped):
            self.project.access_log_with_duration = True
        self.suppressed_by_nginx()

    def suppressed_by_nginx(self) -> None:
        """nginx in front: `server_tokens off` hides its version, and proxy_pass drops the upstream's Server
        header by default (or proxy_hide_header / more_clear_headers does): the two may sit in different
        files of one config (quay's server-base.conf and its proxy includes)."""
        confs = self.project.server_confs
        tokens_off = [(c.rel, c.features["server_tokens_off"]) for c in confs if "server_tokens_off" in c.features]
        if tokens_off and any("hide_server" in c.features or "proxy_pass" in c.features for c in confs):
            self.project.server_header_suppression.append(tokens_off[0])

    def served(self, ctx, call, server: str, option: str | None) -> None:
        self.project.servers.append(served_by(server, ctx.module.rel, call.lineno, f"{dotted(call.func)}()"))
        value = kwarg(call, option) if option else None
        if value is not None and isinstance(value, ast.Constant) and not value.value:
            self.project.server_header_suppression.append(ctx.fact(f"{server}-{option}", call))
        if server == "gevent" and not (isinstance(kwarg(call, "log"), ast.Constant)):
            self.project.access_log_with_duration = True  # pywsgi logs "GET / ... 200 2 0.000412"


_NGINX_HEADER = lazy(r"""^\s*(?:add_header|more_set_headers)\s+["']?([A-Za-z0-9-]+)["']?:?\s*["']?([^;"']*)""")
_APACHE_HEADER = lazy(
    r"""^\s*Header\s+(?:always\s+)?(?:set|append|add|merge|setifempty)\s+([A-Za-z0-9-]+)\s+["']?([^"'\n]*)""",
    re.I,
)


def scan_server_conf(project: Project, full: str, rel: str) -> None:
    """nginx, Apache and supervisor configs (``*.conf`` and templates of them)."""
    with open(full, encoding="utf-8", errors="replace") as fh:
        text = fh.read(2 * 1024 * 1024)
    kind = (
        "nginx"
        if re.search(r"\b(server_tokens|add_header|proxy_pass|uwsgi_pass|location\s)", text)
        else (
            "apache"
            if re.search(r"(?i)<VirtualHost|ServerTokens|^\s*Header\s|WSGIScriptAlias", text, re.M)
            else "unknown"
        )
    )
    conf = ServerConf(rel, kind)
    for i, ln in enumerate(text.splitlines(), 1):
        if ln.strip().startswith("#"):
            continue
        for rx in (_NGINX_HEADER, _APACHE_HEADER):
            m = rx.match(ln)
            if m:
                conf.headers.setdefault(m.group(1).lower(), (m.group(2).strip(), i))
        low = ln.lower()
        for feature, rx in _FEATURES:
            if feature not in conf.features and rx.search(low):
                conf.features[feature] = i
    project.server_confs.append(conf)
    features = conf.features
    if features.get("limit_req"):
        project.server_rate_limits.append((rel, features["limit_req"]))
    if features.get("apache_tokens_prod"):
        project.server_header_suppression.append((rel, features["apache_tokens_prod"]))
    if features.get("mod_wsgi"):
        project.servers.append(served_by("mod_wsgi", rel, features["mod_wsgi"], "Apache mod_wsgi"))
    if "$request_time" in text and _NGINX_DURATION_LOG.search(text):
        project.access_log_with_duration = True  # log_format ... $request_time, over several lines maybe
    if kind == "unknown" and "command" in text:  # supervisor: command=gunicorn app:app
        scan_commands(project, rel, text)


_NGINX_DURATION_LOG = lazy(r"log_format\s[^;]*\$request_time")
_FEATURES = (
    ("server_tokens_off", lazy(r"\bserver_tokens\s+off")),
    (
        "hide_server",
        lazy(r"(proxy_hide_header\s+server|more_clear_headers\s+['\"]?server|header\s+(always\s+)?unset\s+server)"),
    ),
    # proxy_pass: "By default, nginx does not pass the header fields Date, Server ... from the response of
    # a proxied server to a client" (ngx_http_proxy_module, proxy_hide_header)
    ("proxy_pass", lazy(r"\bproxy_pass\s")),
    ("apache_tokens_prod", lazy(r"^\s*servertokens\s+prod")),
    ("limit_req", lazy(r"\blimit_req\s")),  # a rate limiter in front of the app (RATE001)
    ("mod_wsgi", lazy(r"^\s*wsgi(?:scriptalias|daemonprocess)\s")),
)
