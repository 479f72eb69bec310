#!/usr/bin/env python3
"""Client on `websockets` with permessage-deflate: sends the message-size matrix and
compressible JSON to an echo server and checks every echo.

    deflate_client.py URL OFFER

OFFER is ``default`` (websockets' own offer: ``client_max_window_bits``, context takeover)
or ``no-context-takeover`` (it asks for ``server_no_context_takeover`` and offers
``client_no_context_takeover``).

Prints ``EXTENSIONS <the server's Sec-WebSocket-Extensions answer>``, then ``PASS deflate``
once every echo came back identical; on a mismatch it prints the assertion to stderr and
exits with status 1 (2 for usage).
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

TIMEOUT = 60.0
SIZES = [0, 1, 125, 126, 65_535, 65_536, 1 << 20]


def text_of(size: int, seed: int) -> str:
    return "".join(chr(32 + (i * 7 + seed) % 95) for i in range(size))


def binary_of(size: int, seed: int) -> bytes:
    return bytes((i * 13 + seed) % 251 for i in range(size))


def item(i: int) -> str:
    return json.dumps({"id": i, "name": f"item {i}", "tags": ["red", "green", "blue"], "in_stock": True})


async def roundtrip(ws, message, name: str) -> None:
    await ws.send(message)
    got = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert type(got) is type(message), f"{name}: sent {type(message).__name__}, got {type(got).__name__}"
    assert got == message, f"{name}: the echo differs ({len(got)} against {len(message)})"


async def main(url: str, offer: str) -> None:
    if offer == "default":
        options = {"compression": "deflate"}
    else:
        factory = ClientPerMessageDeflateFactory(
            server_no_context_takeover=True,
            client_no_context_takeover=True,
            client_max_window_bits=True,
        )
        options = {"compression": None, "extensions": [factory]}
    async with connect(url, max_size=None, **options) as ws:
        answer = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        print(f"EXTENSIONS {answer}", flush=True)
        assert "permessage-deflate" in answer, "the server did not agree to permessage-deflate"
        for seed, size in enumerate(SIZES):
            await roundtrip(ws, text_of(size, seed), f"text of {size}")
            await roundtrip(ws, binary_of(size, seed), f"binary of {size}")
        for i in range(200):
            await roundtrip(ws, item(i), f"json {i}")
        await roundtrip(ws, item(7) * 20_000, "large JSON")
    print("PASS deflate", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("default", "no-context-takeover"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
