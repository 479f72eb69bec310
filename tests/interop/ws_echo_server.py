#!/usr/bin/env python3
"""Echo server on the `websockets` asyncio implementation: the peer of our client.

    ws_echo_server.py --port 0

Prints ``PORT <n>`` once listening. Echoes every message unchanged (text as text, binary as
binary, no size limit), negotiates the ``chat`` subprotocol when offered, and on the text
message ``close-me`` closes with 4000 "server says bye". When a connection ends it prints
``CLOSED <code> <reason>``: the close code and reason it received from the client
(1005 for a close frame without status, 1006 for none).
"""

import argparse
import asyncio
import sys

import websockets
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


def out(line: str) -> None:
    print(line, flush=True)


def select_subprotocol(connection, subprotocols):
    # "chat" if offered; otherwise no subprotocol (rather than websockets' default 400).
    if "chat" in subprotocols:
        return "chat"
    return None


async def echo(ws) -> None:
    try:
        async for message in ws:
            if message == "close-me":
                await ws.close(4000, "server says bye")
                break
            await ws.send(message)
    except ConnectionClosed:
        pass
    await ws.wait_closed()
    out(f"CLOSED {ws.close_code} {ws.close_reason or ''}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    async with serve(
        echo,
        args.host,
        args.port,
        subprotocols=["chat"],
        select_subprotocol=select_subprotocol,
        max_size=None,
        max_queue=None,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"websockets {websockets.__version__} echo server", file=sys.stderr, flush=True)
        out(f"PORT {port}")
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
