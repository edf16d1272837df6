"""The ASGI entry point for uvicorn: `uvicorn app.asgi:app`.

Invalid settings stop it here with one line per problem and exit status 2.
"""

from app.core.process import tune_garbage_collection
from app.core.startup_errors import load_settings_or_exit
from app.main import create_app

app = create_app(load_settings_or_exit())
tune_garbage_collection()
