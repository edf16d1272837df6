"""The ASGI entry point for uvicorn: `uvicorn app.asgi:app`."""

from app.core.process import tune_garbage_collection
from app.main import create_app

app = create_app()
tune_garbage_collection()
