"""One module per concern; each exposes a single ``configure_*(app)`` called from ``create_app()``."""
