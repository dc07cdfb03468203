"""scan/flask_config.py: config classes, app.config writes, from_pyfile files, env-driven config."""

from validator.astutil import EnvRef

from ..util import model_of


def test_classes_writes_and_pyfiles(tmp_path):
    project = model_of(
        tmp_path,
        {
            "config.py": """
            import os
            class Config:
                RATELIMIT_DEFAULT = "100/hour"
            class ProductionConfig(Config):
                def __init__(self):
                    self.RATELIMIT_STORAGE_URI = os.environ["REDIS_URL"]
            """,
            "instance/prod.py": 'CORS_ORIGINS = ["https://a.example"]\n',
            "app.py": """
            from flask import Flask
            def create_app():
                app = Flask(__name__)
                app.config.from_object("config.ProductionConfig")
                app.config.from_pyfile("prod.py")
                app.config["SESSION_COOKIE_SECURE"] = True
                app.config.update(RATELIMIT_HEADERS_ENABLED=True)
                app.config.from_prefixed_env()
                return app
            """,
        },
    )
    (prod,) = project.config_classes["ProductionConfig"]
    assert prod.bases == ["Config"] and prod.assigns["RATELIMIT_STORAGE_URI"].value == EnvRef("REDIS_URL")
    assert project.config_classes["Config"][0].assigns["RATELIMIT_DEFAULT"].value == "100/hour"
    loose = [(a.key, a.value, a.scope) for a in project.loose_config]
    assert loose == [
        ("SESSION_COOKIE_SECURE", True, "loose"),
        ("RATELIMIT_HEADERS_ENABLED", True, "loose"),
        ("CORS_ORIGINS", ["https://a.example"], "file:instance/prod.py"),
    ]
    assert [f.kind for f in project.env_config_loading] == ["from_prefixed_env"]
