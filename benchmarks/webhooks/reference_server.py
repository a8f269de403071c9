"""The reference: the same stack (uvicorn + starlette, one worker) answering at once.

It reads the body and checks nothing: what the HTTP stack alone costs on this machine
(intake benchmark), and how fast the emulator delivers to a receiver that acknowledges
instantly (end-to-end benchmark: it notes each record id's arrival time, served at
GET /arrivals).
"""

from __future__ import annotations

import sys
import time

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request  # noqa: TC002 - starlette reads the annotation
from starlette.responses import Response
from starlette.routing import Route

ARRIVALS: dict[str, float] = {}


async def accept(request: Request) -> Response:
    body = await request.body()
    if request.query_params.get("note") == "1":
        now = time.time()
        for record in orjson.loads(body).values():
            for key in ("invoice_id", "salesorder_id"):
                if key in record:
                    ARRIVALS.setdefault(str(record[key]), now)
    return Response(b'{"status":"accepted"}', status_code=202, media_type="application/json")


async def arrivals(_: Request) -> Response:
    return Response(orjson.dumps(ARRIVALS), media_type="application/json")


app = Starlette(routes=[Route("/webhooks/inventory", accept, methods=["POST"]),
                        Route("/webhooks/books", accept, methods=["POST"]),
                        Route("/arrivals", arrivals, methods=["GET"]),
                        Route("/health", accept, methods=["GET"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
