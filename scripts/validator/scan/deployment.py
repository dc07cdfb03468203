"""How the app is served, as far as the Server header and server-set headers go: gunicorn config patches
(``gunicorn.SERVER``, ``Response.default_headers``), Werkzeug/http.server handlers that stop announcing
themselves, and nginx/Apache configs (headers they add, ``server_tokens off`` + hiding the upstream
``Server``, ``ServerTokens Prod``)."""

from __future__ import annotations

import ast
import re

from ..astutil import dotted
from ..lazyre import lazy
from ..model import Project, ServerConf
from .walk import Scanner


class DeploymentScanner(Scanner):
    def visit_ClassDef(self, ctx, c: ast.ClassDef) -> None:
        """A Werkzeug / http.server request handler overriding what announces the server."""
        bases = [ctx.resolve(dotted(b)) for b in c.bases]
        defined = {n.name for n in c.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assigned = {t.id for n in c.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        if any(b.endswith("RequestHandler") for b in bases) and (
            defined & {"send_response", "version_string"} or assigned & {"server_version", "sys_version"}
        ):
            self.project.server_header_suppression.append(ctx.fact("werkzeug-handler", c))

    def visit_Assign(self, ctx, s) -> None:
        """gunicorn: SERVER / SERVER_SOFTWARE / default_headers patched in its config."""
        for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
            tname = dotted(t) or ""
            if tname.endswith(("default_headers", "gunicorn.SERVER", "SERVER_SOFTWARE")) and "gunicorn" in ctx.src.text:
                self.project.server_header_suppression.append(ctx.fact("gunicorn-patch", s))


_NGINX_HEADER = lazy(r"""^\s*(?:add_header|more_set_headers)\s+["']?([A-Za-z0-9-]+)["']?:?\s*["']?([^;"']*)""")
_APACHE_HEADER = lazy(
    r"""^\s*Header\s+(?:always\s+)?(?:set|append|add|merge|setifempty)\s+([A-Za-z0-9-]+)\s+["']?([^"'\n]*)""",
    re.I,
)


def scan_server_conf(project: Project, full: str, rel: str) -> None:
    with open(full, encoding="utf-8", errors="replace") as fh:
        text = fh.read(2 * 1024 * 1024)
    kind = (
        "nginx"
        if re.search(r"\b(server_tokens|add_header|proxy_pass|location\s)", text)
        else ("apache" if re.search(r"(?i)<VirtualHost|ServerTokens|^\s*Header\s", text, re.M) else "unknown")
    )
    conf = ServerConf(rel, kind)
    for i, ln in enumerate(text.splitlines(), 1):
        if ln.strip().startswith("#"):
            continue
        for rx in (_NGINX_HEADER, _APACHE_HEADER):
            m = rx.match(ln)
            if m:
                conf.headers.setdefault(m.group(1).lower(), (m.group(2).strip(), i))
        low = ln.strip().lower()
        if re.match(r"server_tokens\s+off", low):
            conf.features["server_tokens_off"] = i
        if re.match(
            r"(proxy_hide_header\s+server|more_clear_headers\s+['\"]?server|header\s+(always\s+)?unset\s+server)",
            low,
        ):
            conf.features["hide_server"] = i
        if re.match(r"servertokens\s+prod", low):
            conf.features["apache_tokens_prod"] = i
    project.server_confs.append(conf)
    if conf.features.get("apache_tokens_prod") or (
        conf.features.get("server_tokens_off") and conf.features.get("hide_server")
    ):
        project.server_header_suppression.append((rel, min(conf.features.values())))
