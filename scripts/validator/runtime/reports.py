"""Reports over every response and log record a probe run saw: security headers on normal, 404, 405 and
429 responses, X-Request-ID on every response, the probe's canaries in logs, 5xx answers."""

from __future__ import annotations

from ..rules.headers import RECOMMENDED
from .capture import record_text, short

KIND_LABELS = {"ok": "a normal API response", "404": "a 404", "405": "a 405", "429": "a 429"}


def header_names(resp) -> set[str]:
    names = {k.lower() for k in resp.headers.keys()}
    csp = resp.headers.get("Content-Security-Policy", "")
    if "frame-ancestors" in csp:
        names.add("csp:frame-ancestors")
    return names


def report_headers(probe) -> None:
    by_kind: dict[str, object] = {}
    for kind, method, path, resp in probe.responses:
        if kind in KIND_LABELS and kind not in by_kind:
            by_kind[kind] = (method, path, resp)
    if not by_kind:
        return
    security = {n for _, group in RECOMMENDED for n in group} | {"x-xss-protection", "permissions-policy"}
    if not any(header_names(r) & security for _, _, r in by_kind.values()):
        probe.hit(
            "HDR001",
            "no security header on any probed response ("
            + ", ".join(f"{m} {p} {r.status_code}" for m, p, r in by_kind.values())
            + ")",
        )
        return
    for kind, (method, path, resp) in by_kind.items():
        names = header_names(resp)
        missing = [
            label
            for label, group in RECOMMENDED
            if "strict-transport-security" not in group and not (set(group) & names)
        ]
        if missing:
            probe.hit(
                "HDR002", f"{KIND_LABELS[kind]} ({method} {path} {resp.status_code}) lacks " + ", ".join(missing)
            )
    xss = [
        (kind, m, p, r)
        for kind, m, p, r in probe.responses
        if r.headers.get("X-XSS-Protection", "").strip().startswith("1")
    ]
    if xss:
        kind, m, p, r = xss[0]
        probe.hit(
            "HDR004",
            f"{m} {p} ({r.status_code}) sends X-XSS-Protection: {r.headers['X-XSS-Protection']} "
            f"({len(xss)} of {len(probe.responses)} responses)",
        )

def report_request_id_presence(probe) -> None:
    lacking = [(m, p, r.status_code) for kind, m, p, r in probe.responses if "X-Request-ID" not in r.headers]
    if not lacking or not probe.responses:
        return
    if len(lacking) == len(probe.responses):
        probe.hit("LOG001", f"none of the {len(probe.responses)} responses carries X-Request-ID")
        return
    distinct = sorted({f"{m} {p} ({s})" for m, p, s in lacking})
    probe.hit(
        "LOG001",
        f"{len(lacking)} of {len(probe.responses)} responses carry no X-Request-ID, e.g. " + ", ".join(distinct[:3]),
    )

def report_leaks(probe) -> None:
    stderr = probe.cap.stderr_text()
    for what, canary in probe.canaries.items():
        where = None
        for record in probe.cap.records:
            if canary in record_text(record):
                where = f"log record of logger {record.name!r} ({short(record.getMessage(), 80)!r})"
                break
        if where is None and canary in stderr:
            line = next((ln for ln in stderr.splitlines() if canary in ln), "")
            where = f"stderr line {short(line, 80)!r}"
        if where:
            probe.hit("LOG003", f"the {what} the probe sent appears in a {where}")

def report_5xx(probe) -> None:
    if probe.server_errors:
        shown = [f"{k} -> {v}" for k, v in probe.server_errors.items()]
        probe.hit("APP002", f"{len(shown)} probed route(s) answered 5xx: " + "; ".join(shown[:5]))
