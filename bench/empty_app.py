"""A FastAPI endpoint that does nothing, served like the services (uvicorn, uvloop, no access log): the
HTTP ceiling intake is compared with. `POST /v1/cases` answers 202 without reading the body."""

from fastapi import FastAPI, Response


def create_application() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/cases", status_code=202)
    async def accept() -> Response:
        return Response(status_code=202)

    @app.get("/readyz")
    async def readyz() -> dict[str, bool]:
        return {"ready": True}

    return app
