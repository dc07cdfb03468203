from app.extensions import limiter


def configure_rate_limiting(app):
    """Attach the rate limiter to the app."""
    limiter.init_app(app)
