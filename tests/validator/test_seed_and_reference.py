"""The demo target reports exactly the seed's real faults; the reference reports nothing that fails CI."""

import json

import pytest

from .util import REPO, cli

SEED_FAULTS = {
    ("CORS005", "app/middleware/cors.py"),  # r"/api/*" also matches /apiary
    ("CORS006", "app/middleware/cors.py"),  # production falls back to http://localhost:3000
    ("HDR003", "app/middleware/security.py"),  # Server popped in after_request: ineffective
    ("HDR004", "app/middleware/security.py"),  # X-XSS-Protection: 1; mode=block
    ("LOG004", "app/middleware/logging.py"),  # X-Request-ID trusted as is
    ("RATE008", "app/extensions.py"),  # redis:// with redis-py's 5 s timeout: a hung Redis hangs workers
}


def test_seed_app_reports_exactly_its_real_faults():
    proc = cli("examples/seed_app", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert {(f["rule"], f["path"]) for f in data["findings"]} == SEED_FAULTS
    assert all(f["severity"] == "warning" for f in data["findings"])


def test_seed_app_full_parse_agrees_with_lazy_parse():
    lazy = json.loads(cli("examples/seed_app", "--format", "json").stdout)["findings"]
    full = json.loads(cli("examples/seed_app", "--format", "json", "--full-parse").stdout)["findings"]
    assert lazy == full


@pytest.mark.skipif(not (REPO / "reference" / "app" / "__init__.py").exists(), reason="reference not written yet")
def test_reference_reports_nothing_at_warning_or_above():
    proc = cli("reference", "--fail-on", "warning")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not (REPO / "reference" / "app" / "__init__.py").exists(), reason="reference not written yet")
def test_reference_lazy_and_full_parse_agree():
    lazy = json.loads(cli("reference", "--format", "json").stdout)["findings"]
    full = json.loads(cli("reference", "--format", "json", "--full-parse").stdout)["findings"]
    assert lazy == full
