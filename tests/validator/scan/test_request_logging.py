"""scan/request_logging.py: logger calls and their secrets, request IDs, completion logs."""

from ..util import model_of


def test_log_calls_request_ids_and_completion_log(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": """
            import logging, re, time, uuid
            from flask import Flask, g, request
            log = logging.getLogger(__name__)
            def create_app():
                app = Flask(__name__)
                @app.before_request
                def start():
                    g.start = time.perf_counter()
                    rid = request.headers.get("X-Request-ID", "")
                    g.request_id = rid if re.fullmatch(r"[A-Za-z0-9-]{1,64}", rid) else uuid.uuid4().hex
                @app.after_request
                def done(response):
                    ms = (time.perf_counter() - g.start) * 1000
                    log.info("%s %s %s %.1f", request.method, request.path, response.status_code, ms)
                    return response
                @app.post("/login")
                def login():
                    password = request.form["password"]
                    log.warning("login for %s", request.form["username"])
                    log.debug(f"tried {password}")
                    return ""
                return app
            """
        },
    )
    secrets = [(c.line, c.secret) for c in project.log_calls]
    assert secrets == [(14, None), (19, None), (20, "`request.form['password']`")]
    (read,) = project.request_id_reads
    assert read.validated
    assert project.completion_log is not None and project.completion_log.line == 14
    assert [f.kind for f in project.request_id_evidence] == ["rid-generated"]
