"""gunicorn entry point: `gunicorn wsgi:app`."""
from webshop import create_app

app = create_app()
