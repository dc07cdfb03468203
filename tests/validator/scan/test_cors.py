"""scan/cors.py: CORS calls, with the options of a later init_app merged in."""

from ..util import model_of


def test_init_app_options_are_merged_into_the_constructor_call(tmp_path):
    project = model_of(
        tmp_path,
        {
            "ext.py": "from flask_cors import CORS\ncors = CORS(supports_credentials=True)\n",
            "app.py": """
            from flask import Flask
            from flask_cors import cross_origin
            from ext import cors
            def create_app():
                app = Flask(__name__)
                cors.init_app(app, origins=["https://a.example"])
                return app
            @cross_origin(max_age=600)
            def view():
                return ""
            """,
        },
    )
    bound, decorator = sorted(project.cors_calls, key=lambda f: f.kind)
    assert (bound.kind, bound.module.rel, bound.line, bound.owner) == ("CORS", "app.py", 6, "app")
    assert [kw.arg for kw in bound.node.keywords] == ["supports_credentials", "origins"]
    assert (decorator.kind, decorator.line) == ("cross_origin", 8)
