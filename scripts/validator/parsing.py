"""Read and parse Python sources once, lazily.

Each file is read as bytes and decoded with its PEP 263 coding cookie. It is then split into top-level
blocks (a decorated ``def``, a ``class``, an assignment, an ``if``/``try`` with its ``else`` ...); only the
blocks whose text can hold a middleware fact (see ``TRIGGER``) plus imports and UPPER_CASE constants are
handed to ``ast.parse``. A block that does not parse on its own (a split inside a multi-line string, say)
makes the whole file be parsed instead, so laziness never changes the result, only the time.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

# Anything an extractor looks at. Keep it a superset: a block that does not match is never parsed.
TRIGGER = re.compile(
    r"flask|Flask|CORS|cors|cross_origin|Access-Control|[Ll]imit|[Tt]hrottl|headers|Header|Talisman|"
    r"[Ss]ecure|config|Config|environ|getenv|MethodView|Resource|add_url_rule|add_resource|route|"
    r"_request|wsgi_app|init_app|request_id|[Rr]equest[-_]?I[Dd]|[Cc]orrelation|uuid|send_response|"
    r"version_string|SERVER|default_headers|Blueprint|blueprint|\.(?:post|put|patch|delete)\("
)
LOG_CALL = re.compile(r"\b\w*(?:log|LOG|Log)\w*\.(?:debug|info|warning|warn|error|exception|critical|fatal|log|msg)\(")
SENSITIVE_HINT = re.compile(r"(?i)passw|passwd|pwd|secret|token|otp|api_?key|credential|authoriz|cookie|request\.")
_START = re.compile(r"[A-Za-z_@]")
_CONT = re.compile(r"(?:else|elif|except|finally)\b|[)\]}]")
_CONST = re.compile(r"[A-Z_][A-Z0-9_]*\s*(?::[^=]*)?=")
_IMPORT = re.compile(r"(?:from|import)\s")


class ParseFailure(Exception):
    def __init__(self, reason: str, line: int = 1, col: int = 1):
        super().__init__(reason)
        self.reason, self.line, self.col = reason, line, col


@dataclass
class Source:
    path: str
    rel: str
    text: str
    lines: list[str]
    body: list[ast.stmt] = field(default_factory=list)
    full: bool = False  # parsed as a whole


def decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ParseFailure("contains NUL bytes (binary file?)")
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


def wanted(chunk: str) -> bool:
    if TRIGGER.search(chunk):
        return True
    return bool(LOG_CALL.search(chunk) and SENSITIVE_HINT.search(chunk))


def _parse(text: str, name: str) -> ast.Module:
    try:
        return ast.parse(text, filename=name)
    except SyntaxError as exc:
        raise ParseFailure(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
    except (ValueError, TypeError) as exc:
        raise ParseFailure(f"cannot parse: {exc}") from None
    except (RecursionError, MemoryError):
        raise ParseFailure("too deeply nested to parse") from None


def parse_source(path: str, rel: str, raw: bytes, lazy: bool = True) -> Source:
    text = decode(raw)
    lines = text.splitlines(keepends=True)
    src = Source(path, rel, text, lines)
    if not lazy or len(lines) < 40:
        src.body = _parse(text, rel).body
        src.full = True
        return src
    body: list[ast.stmt] = []
    try:
        for start, end in split_blocks(lines):
            chunk = "".join(lines[start:end])
            first = lines[start].lstrip()
            if not (wanted(chunk) or _IMPORT.match(first) or _CONST.match(lines[start])):
                # imports after a module docstring/comment start the first block: look inside too
                if not ("import " in chunk and start == 0):
                    continue
            tree = ast.parse(chunk, filename=rel)
            if start:
                ast.increment_lineno(tree, start)
            body.extend(tree.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        src.body = _parse(text, rel).body
        src.full = True
        return src
    src.body = body
    return src
