"""The reference: the same stack (uvicorn + starlette, one worker) answering 200 at once.

It reads the body and checks nothing: what the HTTP stack alone costs on this machine,
measured by the same load generator in the same run as the intake.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request  # noqa: TC002 - starlette reads the annotation
from starlette.responses import Response
from starlette.routing import Route


async def accept(request: Request) -> Response:
    await request.body()
    return Response(b'{"status":"accepted"}', status_code=202, media_type="application/json")


app = Starlette(routes=[Route("/webhooks/inventory", accept, methods=["POST"]),
                        Route("/health", accept, methods=["GET"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
