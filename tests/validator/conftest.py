"""Put scripts/ on sys.path (util does it on import) before test modules import the validator package."""

from . import util  # noqa: F401
