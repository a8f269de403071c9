"""Load generator (run as its own process): pre-built HTTP/1.1 requests over keep-alive.

    python loadgen.py REQUESTS_FILE HOST PORT --connections 32 [--rate N]

REQUESTS_FILE holds length-prefixed raw requests (built by the benchmark). Each of the
connections sends its share back to back (or paced to --rate overall) and times every
request from write to the end of the response. Prints one JSON line: sent, statuses,
seconds, latencies (ms, sorted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import time
from collections import Counter
from pathlib import Path


def load(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from(">I", data, offset)
        out.append(data[offset + 4 : offset + 4 + size])
        offset += 4 + size
    return out


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def worker(  # noqa: PLR0913, PLR0917 - one connection's inputs
        host: str, port: int, requests: list[bytes], start_at: list[float],
                 statuses: Counter[int], latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    for request, due in zip(requests, start_at, strict=True):
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        began = time.perf_counter()
        writer.write(request)
        status = await read_response(reader)
        latencies.append((time.perf_counter() - began) * 1000)
        statuses[status] += 1
    writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("requests_file", type=Path)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0.0)
    args = parser.parse_args()
    requests = load(args.requests_file)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    began = time.perf_counter() + 0.05
    schedule = [began + (i / args.rate if args.rate else 0.0) for i in range(len(requests))]
    shares = [(requests[i :: args.connections], schedule[i :: args.connections])
              for i in range(args.connections)]
    await asyncio.gather(*(worker(args.host, args.port, r, s, statuses, latencies)
                           for r, s in shares))
    seconds = time.perf_counter() - began
    print(json.dumps({"sent": len(requests), "statuses": dict(statuses), "seconds": seconds,
                      "latencies": sorted(latencies)}))


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
