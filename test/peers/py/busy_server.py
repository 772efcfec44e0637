"""A FastAPI app served by uvicorn as Prefect's server is, with Prefect's own handler of internal
exceptions (prefect.server.api.server.custom_internal_exception_handler, registered for Exception
as create_api_app does). GET /busy raises what SQLite raises when the database is locked, which
that handler answers 503; POST /ok answers 201. Prints the port once listening.

Used by test/peers/busyConnection.test.ts: what a client sees on the connection after such a 503.
"""

import socket
import sqlite3

import sqlalchemy.exc
import uvicorn
from fastapi import FastAPI
from prefect.server.api.server import custom_internal_exception_handler

app = FastAPI(exception_handlers={Exception: custom_internal_exception_handler})


@app.get("/busy")
async def busy():
    raise sqlalchemy.exc.OperationalError(
        "UPDATE flow_run", {}, sqlite3.OperationalError("database is locked")
    )


@app.post("/ok", status_code=201)
async def ok():
    return {"ok": True}


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(app, log_level="critical")
uvicorn.Server(config).run(sockets=[sock])
