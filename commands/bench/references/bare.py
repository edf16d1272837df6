"""The bare reference: FastAPI with one route returning a constant, nothing else."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def read_constant() -> dict[str, str]:
        return {"status": "ok"}

    return app
