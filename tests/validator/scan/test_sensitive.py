"""scan/sensitive.py: what counts as a secret in a log call."""

import ast

import pytest

from validator.scan.sensitive import Taint, sensitive_name


@pytest.mark.parametrize(
    "name,secret",
    [
        ("password", True),
        ("new_password", True),
        ("api_key", True),
        ("accessToken", True),
        ("username", False),
        ("user_id", False),
        ("token_type", False),
        ("password_policy", False),
        ("PasswordForm", False),
        ("get_access_token", False),
    ],
)
def test_sensitive_names(name, secret):
    assert sensitive_name(name) is secret


def test_values_are_followed_through_assignments_in_source_order():
    func = ast.parse(
        "def f():\n"
        "    log.info('x %s', data)\n"
        "    data = request.get_json()\n"
        "    masked = f'{data[:4]}****'\n"
        "    log.info('y %s', data)\n"
    ).body[0]
    taint = Taint(func)
    first, second = func.body[0].value, func.body[3].value
    assert taint.check_at(first.args[1], first.lineno) is None  # assigned after this call
    assert taint.check_at(second.args[1], second.lineno) == "`request.get_json()` (the request body)"
