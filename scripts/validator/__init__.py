"""flask-middleware validator: parse a repository once into a project model, run small rules over it."""

__version__ = "1.0.0"
