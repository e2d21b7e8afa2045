"""The Tianping server: REST API, web UI, filing workflow, public register and a durable job queue.

`create_app()` builds the FastAPI app; `tianping serve` runs it with uvicorn.
"""

from .app import create_app
from .settings import ServerSettings

__all__ = ["create_app", "ServerSettings"]
