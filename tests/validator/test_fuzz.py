"""Property: whatever text a file holds, the scan finishes with exit 0/1 and no internal error."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .util import REPO, main

SNIPPETS = [
    (REPO / "examples/seed_app/app/middleware/security.py").read_text(),
    (REPO / "examples/seed_app/app/middleware/cors.py").read_text(),
    (REPO / "examples/seed_app/app/middleware/logging.py").read_text(),
    (REPO / "examples/seed_app/app/auth.py").read_text(),
    (REPO / "examples/seed_app/app/extensions.py").read_text(),
    "from flask import Flask\napp = Flask(__name__)\nCORS(app, resources={r'/api/*': {'origins': '*'}})\n",
    "class ProductionConfig(Config):\n    RATELIMIT_STORAGE_URI = os.environ.get('X', 'memory://')\n",
    "for k, v in HEADERS.items():\n    response.headers.setdefault(k, v)\n",
]
TOKENS = [
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "\n",
    "    ",
    "@",
    "def ",
    "class ",
    "import ",
    "'",
    '"',
    '"""',
    "\\",
    "#",
    "=",
    ",",
    ".",
    "*",
    "**",
    "lambda",
    "if ",
    "else",
    "\x00",
    "\ufeff",
    "é",
    "\r",
]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SNIPPETS))
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "dup"]))
        if op == "insert":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        else:
            text = text[:pos] + text[max(0, pos - 40) : pos] + text[pos:]
    return text


def _scan(tmp_path_factory, capsys, content):
    root = tmp_path_factory.mktemp("fuzz")
    app = root / "app"
    app.mkdir()
    if isinstance(content, str):
        (app / "mod.py").write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        (app / "mod.py").write_bytes(content)
    (app / "__init__.py").write_text("from flask import Flask\ndef create_app():\n    return Flask(__name__)\n")
    capsys.readouterr()
    code = main([str(root), "--format", "json"])
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert "internal error" not in out.err, out.err
    json.loads(out.out)


FAST = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(st.text(max_size=400))
def test_random_text_never_crashes(tmp_path_factory, capsys, text):
    _scan(tmp_path_factory, capsys, text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(tmp_path_factory, capsys, data):
    _scan(tmp_path_factory, capsys, data)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_flask_code_never_crashes(tmp_path_factory, capsys, text):
    _scan(tmp_path_factory, capsys, text.encode("utf-8", "surrogatepass"))


HEAD_LINES = [
    b"#!/usr/bin/env python",
    b"# -*- coding: utf-8 -*-",
    b"# coding=latin-1",
    b"# vim: fileencoding=utf8 :",
    b"# coding: UTF_8",
    b"# coding: utf-8-sig",
    b"# coding: nonsense",
    b"# about encoding",
    b"x = 1",
    b"",
    b"\xef\xbb\xbf# hi",
]
BODIES = [b"x = 1\n", "s = 'é'\n".encode(), "s = 'é'\n".encode("latin-1"), b""]


@settings(max_examples=300, deadline=None)
@given(head=st.lists(st.sampled_from(HEAD_LINES), max_size=3), body=st.sampled_from(BODIES))
def test_decode_agrees_with_tokenize(head, body):
    """decode() skips tokenize for UTF-8 cookies: it must still decode exactly as tokenize says, or refuse."""
    import io
    import tokenize

    from validator.parsing import ParseFailure, decode

    raw = b"\n".join([*head, body])
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        expected = raw.decode(encoding).lstrip("\ufeff")
    except (SyntaxError, UnicodeDecodeError, LookupError):
        expected = None
    if b"\x00" in raw:
        expected = None
    try:
        got = decode(raw)
    except ParseFailure:
        got = None
    assert got == expected, raw


def test_calls_of_call_results_do_not_crash(tmp_path, capsys):
    """bazarr crashed the scan (exit 2) on `x.get(...)(...)`: the called function is itself a call."""
    from .util import scan

    files = {
        "app.py": """
        from flask import Flask
        loaders = {}
        def create_app():
            app = Flask(__name__)
            app.config["SECRET_KEY"] = loaders.get("secret")()
            @app.after_request
            def headers(response):
                response.headers["X-Frame-Options"] = loaders.get("frame")()
                return response
            return app
    """
    }
    assert {f["rule"] for f in scan(tmp_path, files, capsys)} >= {"HDR002"}
