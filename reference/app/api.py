"""A small demo API: a health check and two authentication routes with their own stricter limits."""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, jsonify, request
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import limiter

api = Blueprint("api", __name__, url_prefix="/api")

# Demo account only. A real app looks users up in its database.
_DEMO_EMAIL = "demo@example.com"
_DEMO_PASSWORD_HASH = generate_password_hash("correct horse battery staple")
# Compared against when the user is unknown, so both paths cost one hash check (no timing oracle).
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


@api.get("/health")
@limiter.exempt  # load balancers poll it; it must not depend on (or count against) Redis
def health():
    return jsonify(status="ok")


@api.post("/auth/login")
@limiter.limit("10 per minute")
def login():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("email"), str) or not isinstance(
        data.get("password"), str
    ):
        return jsonify(error="invalid_request", message="Send JSON with email and password."), 400
    known = hmac.compare_digest(data["email"].lower().encode(), _DEMO_EMAIL.encode())
    if not check_password_hash(_DEMO_PASSWORD_HASH if known else _DUMMY_HASH, data["password"]) or not known:
        return jsonify(error="invalid_credentials", message="Email or password is incorrect."), 401
    return jsonify(access_token=secrets.token_urlsafe(32), token_type="Bearer", expires_in=3600)  # noqa: S106


@api.post("/auth/password-reset")
@limiter.limit("3 per hour")
def password_reset():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return jsonify(error="invalid_request", message="Send JSON with email."), 400
    # Same answer whether or not the account exists: no user enumeration.
    return jsonify(status="accepted", message="If the account exists, a reset link is on its way."), 202
