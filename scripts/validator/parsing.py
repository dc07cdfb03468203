"""Read and parse Python sources once, lazily.

Each file is read as bytes and decoded with its PEP 263 coding cookie. It is then split into top-level
blocks (a decorated ``def``, a ``class``, an assignment, an ``if``/``try`` with its ``else`` ...); only the
blocks whose text can hold a middleware fact (see ``wanted``) plus imports and UPPER_CASE constants are
handed to ``ast.parse``. A block that does not parse on its own (a split inside a multi-line string, say)
makes the whole file be parsed instead, so laziness never changes the result, only the time.
"""

from __future__ import annotations

import ast
import re
import sys

from .lazyre import lazy

# Anything an extractor looks at is in TRIGGER_WORDS below. Keep it a superset: a block that does not
# match is never parsed.
# A route block matters to the rules only when it may be an authentication route (RATE001/RATE002);
# every route's path is also collected by ROUTE_PATH without parsing (CORS003).
ROUTE = lazy(r"^[ \t]*@[\w.]+\.(?:route|get|post|put|patch|delete)\(", re.M)
_HEAD_END = lazy(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+", re.M)
# Words that may make a route an authentication route (a superset of rules.rate_limit's matcher): plain
# substrings of the lower-cased decorator + def lines, cheaper than compiling one big pattern every run.
AUTH_HINT_WORDS = (
    "login",
    "log_in",
    "signin",
    "sign_in",
    "signup",
    "sign_up",
    "regist",
    "passw",
    "pwd",
    "forgot",
    "reset",
    "token",
    "otp",
    "2fa",
    "mfa",
    "two_factor",
    "twofactor",
    "session",
    "refresh",
    "auth",
    "verif",
    "account",
    "credential",
    "logon",
    "jwt",
    "passcode",
    "apikey",
    "api_key",
    # POST on a users/accounts/members collection is a sign-up (rules.auth_routes.is_signup_collection)
    "users",
    "members",
    "userlist",
    "memberlist",
)
_RECEIVER_END = lazy(r"\w*$")


def _log_call(chunk: str) -> bool:
    """A call like ``logger.info(`` / ``self.log.debug(``: the name right before the method mentions log.
    Found from the method names: a pattern starting with \\w* would be tried at every position."""
    for method in LOG_METHOD_CALLS:
        start = chunk.find(method)
        while start != -1:
            receiver = _RECEIVER_END.search(chunk, max(0, start - 80), start).group()
            if "log" in receiver or "LOG" in receiver or "Log" in receiver:
                return True
            start = chunk.find(method, start + 1)
    return False


_START = lazy(r"[A-Za-z_@]")
_CONT = lazy(r"(?:else|elif|except|finally)\b|[)\]}]")
_CONST = lazy(r"[A-Z_][A-Z0-9_]*\s*(?::[^=]*)?=")
_IMPORT = lazy(r"(?:from|import)\s")


class ParseFailure(Exception):
    def __init__(self, reason: str, line: int = 1, col: int = 1):
        super().__init__(reason)
        self.reason, self.line, self.col = reason, line, col


class Source:
    # A plain class rather than a dataclass: importing `dataclasses` costs ~15 ms of start-up.
    __slots__ = ("body", "full", "lines", "path", "rel", "text")

    def __init__(
        self,
        path: str,
        rel: str,
        text: str,
        lines: list[str],
        body: list[ast.stmt] | None = None,
        full: bool = False,  # parsed as a whole
    ):
        self.path = path
        self.rel = rel
        self.text = text
        self.lines = lines
        self.body = [] if body is None else body
        self.full = full

    def __repr__(self):
        return f"Source({self.rel!r})"


def _first_two_lines(raw: bytes) -> bytes:
    end = raw.find(b"\n")
    if end != -1:
        end = raw.find(b"\n", end + 1)
    return raw if end == -1 else raw[:end]


def _utf8_or_no_cookie(head: bytes) -> bool:
    """True when the first two lines declare no encoding or only UTF-8 (``# -*- coding: utf-8 -*-`` heads
    many real files). tokenize would then decode as UTF-8 too, whether or not it honours the cookie."""
    if b"coding" not in head:
        return True
    names = re.findall(rb"(?m)^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", head)  # tokenize's cookie_re
    return all(
        n[:12].lower().replace(b"_", b"-") in (b"utf-8", b"utf8") or n.lower().startswith(b"utf-8-") for n in names
    )


def decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ParseFailure("contains NUL bytes (binary file?)")
    # Common case: no BOM, no coding cookie (PEP 263: first two lines) and valid UTF-8, which is what
    # tokenize.detect_encoding would conclude too. Anything else goes through tokenize (imported only
    # then, ~1.5 ms) so that errors read exactly as before.
    if not raw.startswith(b"\xef\xbb\xbf") and _utf8_or_no_cookie(_first_two_lines(raw)):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        raise ParseFailure(f"bad encoding declaration: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ParseFailure(f"cannot decode as {encoding}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def split_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) 0-based half-open line ranges of top-level blocks."""
    blocks: list[list[int]] = []
    in_decorators = False
    for i, line in enumerate(lines):
        if not line or not _START.match(line):
            if line[:1] in ")]}" and line[:1]:
                pass
            continue
        if blocks and (in_decorators or _CONT.match(line)):
            in_decorators = line.startswith("@")
            continue
        blocks.append([i, 0])
        in_decorators = line.startswith("@")
    out = []
    for n, block in enumerate(blocks):
        end = blocks[n + 1][0] if n + 1 < len(blocks) else len(lines)
        out.append((block[0], end))
    if out and out[0][0] > 0:
        out[0] = (0, out[0][1])  # a module docstring's opening quotes may sit before the first block
    # keep triple-quoted strings inside one block
    merged: list[tuple[int, int]] = []
    pending = None
    for start, end in out:
        if pending is not None:
            start = pending
        chunk = "".join(lines[start:end])
        if (chunk.count('"""') % 2) or (chunk.count("'''") % 2):
            pending = start
            continue
        pending = None
        merged.append((start, end))
    if pending is not None:
        merged.append((pending, len(lines)))
    if merged and merged[0][0] > 0:
        merged[0] = (0, merged[0][1])
    return merged


# Substring tests on the lower-cased block are ~4x faster than one big alternation regex. Every word
# names something an extractor looks at; generic words ("config", "server", "limit", "flask") would
# pull in most of a code base (SQLAlchemy's .limit(), server_default=, packages named flaskbb...).
TRIGGER_WORDS = (
    "flask(",
    "cors",
    "cross_origin",
    "access-control",
    "limiter",
    "ratelimit",
    "rate_limit",
    "shared_limit",
    "default_limits",
    "throttl",
    "headers",
    "talisman",
    "secure(",
    "secure.",
    "wsgi_app",
    "init_app",
    "add_url_rule",
    "add_resource",
    "before_request",
    "after_request",
    "teardown_request",
    "before_app_request",
    "after_app_request",
    "teardown_app",
    "request_id",
    "request-id",
    "requestid",
    "correlation",
    "send_response",
    "version_string",
    "server_version",
    "server_software",
    "default_headers",
    "gunicorn",
    "blueprint(",
    "register_blueprint",
    "exempt",
    "from_prefixed_env",
    "from_envvar",
    "429",  # a hand-made rate limiter answers Too Many Requests
    "access_route",  # rate-limit keys read from client-controlled headers (RATE007)
    "forwarded",
    "x-real-ip",
    "toomanyrequests",
    "namespace(",  # flask-restx Namespace("tokens") / api.add_namespace(ns, "/tokens"): URL prefixes
    "= api(",  # Api(bp): resources served under the blueprint's prefix
    "view_func",  # project helpers registering views: register_view(bp, routes=[...], view_func=...)
    "resource=",  # keystone's construct_resource_map(resource=..., url=...)
    "expose(",  # Flask-AppBuilder / Flask-Admin @expose("/login/") views
    "limit_req",
    # code that starts a server (scan/deployment.py, HDR003): app.run(), waitress serve(ident=...),
    # run_simple, gevent/cheroot WSGIServer, tornado WSGIContainer, wsgiref make_server, uvicorn
    ".run(",
    "serve(",
    "run_simple",
    "wsgiserver",
    "wsgicontainer",
    "make_server",
    "cheroot",
    "clear_header",
    "server_name",
)
# Config writes: app.config["X"] = ..., config.update/from_*/setdefault(...), a class named like a config.
# Three patterns, each tried only when its literal is present: one alternation without a common literal
# made the scan try every position of every block (~10 ms on redash).
_CONFIG_ITEM = lazy(r"config\[[^\]\n]*\]\s*=(?!=)")
_CONFIG_CALL = lazy(r"config\.(?:update|from_\w+|setdefault)\(")
_CONFIG_CLASS = lazy(r"^[ \t]*class\s[^\n]*(?:config|settings)", re.M)


def _config_use(low: str) -> bool:
    return bool(
        ("config[" in low and _CONFIG_ITEM.search(low))
        or ("config." in low and _CONFIG_CALL.search(low))
        or ("class" in low and _CONFIG_CLASS.search(low))
    )


_CLASS_VIEW = ("resource", "methodview", "view)")
LOG_METHOD_CALLS = (
    ".debug(",
    ".info(",
    ".warning(",
    ".warn(",
    ".error(",
    ".exception(",
    ".critical(",
    ".fatal(",
    ".log(",
    ".msg(",
)
SENSITIVE_WORDS = (
    "passw",
    "pwd",
    "secret",
    "token",
    "otp",
    "api_key",
    "apikey",
    "credential",
    "authoriz",
    "cookie",
    "request.",
    "jwt",
    "bearer",
    "passcode",
)


_SENSITIVE_OUTSIDE_REQUESTS = tuple(w for w in SENSITIVE_WORDS if w != "token") + tuple(
    f"{q}{sep}token"
    for q in ("access", "refresh", "auth", "api", "bearer", "id", "session", "reset")
    for sep in ("_", "", "-")
)
_PIN = lazy(r"(?<![a-z])pin(?![a-z])|_pin|pin_")  # not mapping, typing, shipping


def _auth_header(chunk: str) -> bool:
    """Decorators + the def/class line: a route's path and view name decide "authentication"."""
    end = _HEAD_END.search(chunk)
    head = (chunk[: end.end()] if end else chunk).lower()
    return any(map(head.__contains__, AUTH_HINT_WORDS))


def wanted(chunk: str, all_routes: bool = False, extra_words: tuple = ()) -> bool:
    low = chunk.lower()
    return _wanted_for_structure(chunk, low, all_routes, extra_words) or _wanted_for_logs(chunk, low)


def _wanted_for_structure(chunk: str, low: str, all_routes: bool, extra_words: tuple) -> bool:
    """The block may hold an app, extension, hook, route, header write or config: it needs its context."""
    # map(str.__contains__) rather than a generator: no frame per word, ~2x faster on every block
    if any(map(low.__contains__, TRIGGER_WORDS)) or any(map(low.__contains__, extra_words)):
        return True
    if ('("/' in chunk or "('/" in chunk) and not chunk.startswith(("def ", "class ", "@")):
        return True  # a route table: routes = [("/auth/login", LoginResource), ...]
    if ("Resource" in chunk or "View" in chunk) and ('"/' in chunk or "'/" in chunk) and _VIEW_PATH_PAIR.search(chunk):
        return True  # register_endpt(UserChangePasswordResource, "/users/<name>/password/change")
    if "config" in low and _config_use(low):
        return True
    if any(map(low.__contains__, _CLASS_VIEW)) and low.lstrip().startswith(("class", "@")):
        if all_routes or "decorators" in low or _auth_header(chunk):
            return True
    return "@" in chunk and bool(ROUTE.search(chunk)) and (all_routes or _auth_header(chunk))


def _wanted_for_logs(chunk: str, low: str, handles_requests: bool = True) -> bool:
    """The block logs something secret-sounding (LOG003) or a completion line (LOG002): only the
    functions holding those calls matter. Outside request handling a bare "token" is no secret (LOG003
    counts only qualified ones there: access_token, api_token...), so it does not make a block wanted."""
    if "log" in low and any(map(low.__contains__, LOG_METHOD_CALLS)):
        words = SENSITIVE_WORDS if handles_requests else _SENSITIVE_OUTSIDE_REQUESTS
        if any(map(low.__contains__, words)) or ("pin" in low and _PIN.search(low)):  # LOG003
            return _log_call(chunk)
        if "status" in low and "method" in low:  # LOG002: a completion log
            return True
    # a project's own log helper called with what the request sent: CTFd's log("submissions", ..., submission=...)
    return ("log(" in low or "log_" in low) and "request" in low and _LOG_HELPER_CALL.search(chunk) is not None


_VIEW_PATH_PAIR = lazy(r"""\(\s*[\w.]*(?:Resource|View)\w*\s*,\s*[rRuU]?["']/""")
_LOG_HELPER_CALL = lazy(r"(?<![\w.])(?:log|\w+_log|log_\w+)\(")
_BIG_CLASS = 150  # lines; smaller classes are parsed whole


def _class_members(lines: list[str], start: int, end: int) -> list[tuple[int, int]] | None:
    """(start, end) line ranges of the members of the top-level class in lines[start:end]: each method
    with its decorators, and each other statement. None when the class cannot be split safely (a header
    over several lines, odd indentation): the caller then parses the whole class."""
    i = start
    while i < end and lines[i].startswith("@"):
        i += 1
    if i >= end or not lines[i].startswith("class ") or not lines[i].split("#", 1)[0].rstrip().endswith(":"):
        return None
    members: list[tuple[int, int]] = []
    indent = None
    member_start = None
    decorating = False  # decorators and the definition they decorate make one member
    for j in range(i + 1, end):
        line = lines[j]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        width = len(line) - len(line.lstrip(" \t"))
        if indent is None:
            indent = width
        if width < indent:
            return None  # e.g. a string continued at column 0: leave it to a whole parse
        if width > indent:
            continue  # inside the current member
        if decorating:
            decorating = stripped.startswith("@")
            continue
        if member_start is not None:
            members.append((member_start, j))
        member_start = j
        decorating = stripped.startswith("@")
    if member_start is not None:
        members.append((member_start, end))
    return members or None


def _logging_methods(
    lines: list[str], members: list[tuple[int, int]], rel: str, handles_requests: bool
) -> list[ast.stmt]:
    """The methods of a big class that log something of interest, parsed on their own under a stand-in
    class line, so their nodes keep their real line and column numbers."""
    out: list[ast.stmt] = []
    for start, end in members:
        chunk = "".join(lines[start:end])
        if not _wanted_for_logs(chunk, chunk.lower(), handles_requests):
            continue
        tree = ast.parse("\n" * (start - 1) + "class _:\n" + chunk, filename=rel)
        out.extend(n for n in tree.body[0].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return out


_JINJA_EXPR = lazy(r"\{\{-?\s*([^{}]*?)\s*-?\}\}")
_JINJA_STMT = lazy(r"(?m)^[ \t]*\{%.*?%\}[ \t]*$")


def _untemplated(text: str) -> str:
    """A cookiecutter/Jinja template of a Python file as Python: `{{cookiecutter.app_name}}` becomes the
    name cookiecutter_app_name, `{% if ... %}` lines become blank (line numbers stay)."""
    text = _JINJA_STMT.sub("", text)
    return _JINJA_EXPR.sub(lambda m: "".join(c if c.isalnum() else "_" for c in m.group(1)) or "_", text)


def _parse(text: str, name: str) -> ast.Module:
    try:
        return ast.parse(text, filename=name)
    except SyntaxError as exc:
        if "{{" in text or "{%" in text:  # a project template (cookiecutter-flask): read it as the app it makes
            try:
                return ast.parse(_untemplated(text), filename=name)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        # the file may use syntax newer than the Python running the validator (PEP 695 generics on 3.11)
        version = f"Python {sys.version_info[0]}.{sys.version_info[1]}"
        raise ParseFailure(f"syntax error under {version}: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
    except (ValueError, TypeError) as exc:
        raise ParseFailure(f"cannot parse: {exc}") from None
    except (RecursionError, MemoryError):
        raise ParseFailure("too deeply nested to parse") from None


def parse_source(
    path: str, rel: str, raw: bytes, lazy: bool = True, all_routes: bool = False, extra_words: tuple = ()
) -> Source:
    text = decode(raw)
    lines = text.splitlines(keepends=True)
    src = Source(path, rel, text, lines)
    if not lazy or len(lines) < 40:
        src.body = _parse(text, rel).body
        src.full = True
        return src
    body: list[ast.stmt] = []
    # the module may import flask or its request (scan/sensitive.py reads_requests): a superset, by text
    handles_requests = "flask" in text and ("request" in text or "import flask" in text or ", flask" in text)
    try:
        for start, end in split_blocks(lines):
            chunk = "".join(lines[start:end])
            first = lines[start].lstrip()
            low = chunk.lower()
            structural = _wanted_for_structure(chunk, low, all_routes, extra_words)
            logs = not structural and _wanted_for_logs(chunk, low, handles_requests)
            if logs and end - start > _BIG_CLASS:
                members = _class_members(lines, start, end)
                if members is not None:  # privacyIDEA's 2,000-line token classes: parse the logging methods only
                    body.extend(_logging_methods(lines, members, rel, handles_requests))
                    continue
            if not (structural or logs or _IMPORT.match(first) or _CONST.match(lines[start])):
                # imports after a module docstring/comment start the first block: look inside too
                if not ("import " in chunk and start == 0):
                    continue
            # leading newlines put the block's nodes on their real line numbers (cheaper than
            # ast.increment_lineno over the tree)
            tree = ast.parse("\n" * start + chunk, filename=rel)
            body.extend(tree.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        src.body = _parse(text, rel).body
        src.full = True
        return src
    src.body = body
    return src
