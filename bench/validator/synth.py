"""Generate a synthetic Flask repository of about N lines (default 100k): blueprints with routes,
services, models, config classes, logging, a factory with middleware. Deterministic (seeded)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

FACTORY = '''\
import logging
import time
import uuid

from flask import Flask, g, request
from flask_cors import CORS

from .extensions import limiter

logger = logging.getLogger(__name__)


def create_app(config_name=None):
    app = Flask(__name__)
    app.config.from_object("app.config.ProductionConfig")
    CORS(app, resources={r"^/api(?:/.*)?$": {"origins": app.config["CORS_ORIGINS"], "max_age": 600}})
    limiter.init_app(app)

    @app.before_request
    def start():
        g.start = time.perf_counter()
        g.request_id = uuid.uuid4().hex

    @app.after_request
    def done(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        logger.info("request", extra={"method": request.method, "path": request.path,
                                      "status": response.status_code,
                                      "duration_ms": (time.perf_counter() - g.start) * 1000})
        return response

    return app
'''

VIEW = '''

@bp.route("/api/{res}/<int:item_id>", methods=["GET"])
def get_{res}_{n}(item_id):
    """Return one {res}."""
    item = {Model}.query.get_or_404(item_id)
    if item.owner_id != current_user.id:
        abort(403)
    data = item.to_dict()
    data["links"] = {{"self": url_for("api.get_{res}_{n}", item_id=item.id)}}
    logger.debug("served %s %s", "{res}", item_id)
    return jsonify(data)


@bp.route("/api/{res}", methods=["POST"])
def create_{res}_{n}():
    payload = request.get_json(silent=True) or {{}}
    errors = validate_{res}(payload)
    if errors:
        return jsonify(errors=errors), 400
    item = {Model}(**{{k: v for k, v in payload.items() if k in ALLOWED_FIELDS}})
    db.session.add(item)
    db.session.commit()
    return jsonify(item.to_dict()), 201
'''

SERVICE = '''

def compute_{name}_{n}(values, factor={factor}):
    """Aggregate a list of numbers."""
    total = 0
    for i, value in enumerate(values):
        if value is None:
            continue
        if i % 2:
            total += value * factor
        else:
            total -= value / (factor + 1)
    result = {{"total": total, "count": len(values), "mean": total / max(len(values), 1)}}
    if result["mean"] > {limit}:
        result["flag"] = "high"
    return result


class {Cls}Service{n}:
    def __init__(self, repo):
        self.repo = repo
        self.cache = {{}}

    def get(self, key):
        if key not in self.cache:
            self.cache[key] = self.repo.load(key)
        return self.cache[key]

    def summary(self, keys):
        return [compute_{name}_{n}(self.get(k)) for k in keys]
'''

MODEL = '''

class {Model}{n}(db.Model):
    __tablename__ = "{res}_{n}"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    created_at = db.Column(db.DateTime, default=datetime.utcnow)

    def to_dict(self):
        return {{"id": self.id, "name": self.name, "owner_id": self.owner_id}}
'''

HEADER = '''"""Generated module {i}."""
import logging
from datetime import datetime

from flask import Blueprint, abort, jsonify, request, url_for

from ..extensions import db, limiter

logger = logging.getLogger(__name__)
bp = Blueprint("mod{i}", __name__)
ALLOWED_FIELDS = {{"name", "owner_id"}}
'''


def generate(root: Path, target_lines: int = 100_000, seed: int = 7) -> int:
    rnd = random.Random(seed)
    pkg = root / "app"
    (pkg / "views").mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(FACTORY)
    (pkg / "extensions.py").write_text(
        "from flask_limiter import Limiter\nfrom flask_limiter.util import get_remote_address\n"
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
        "limiter = Limiter(key_func=get_remote_address, default_limits=['300 per minute'])\n")
    (pkg / "config.py").write_text(
        "import os\n\n\nclass Config:\n    RATELIMIT_STORAGE_URI = 'memory://'\n\n\n"
        "class ProductionConfig(Config):\n    RATELIMIT_STORAGE_URI = os.environ['RATELIMIT_STORAGE_URI']\n"
        "    CORS_ORIGINS = os.environ['CORS_ORIGINS'].split(',')\n")
    (pkg / "views" / "__init__.py").write_text("")
    (root / "requirements.txt").write_text("flask>=3.1.3\nflask-cors>=6.0.1\nflask-limiter>=4.1\n")
    total, i = 0, 0
    while total < target_lines:
        parts = [HEADER.format(i=i)]
        for n in range(rnd.randint(8, 14)):
            res = rnd.choice(["item", "order", "invoice", "report", "widget", "ticket"])
            kind = rnd.random()
            if kind < 0.35:
                parts.append(VIEW.format(res=res, n=n, Model=res.title()))
            elif kind < 0.7:
                parts.append(SERVICE.format(name=res, n=n, factor=rnd.randint(2, 9), limit=rnd.randint(10, 99),
                                            Cls=res.title()))
            else:
                parts.append(MODEL.format(res=res, n=n, Model=res.title()))
        text = "".join(parts)
        (pkg / "views" / f"mod{i}.py").write_text(text)
        total += text.count("\n")
        i += 1
    return total


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to create (must not exist)")
    parser.add_argument("lines", type=int, nargs="?", default=100_000, help="about how many lines (default 100000)")
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} already exists")
    print(generate(args.out, args.lines), "lines in", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
