#!/usr/bin/env python3
"""Client on the `websockets` asyncio implementation: text and binary messages of given sizes.

    ws_sizes_client.py URL SIZE[,SIZE...]

The server at URL must echo every message unchanged (text as text, binary as binary).
For each size, sends a text of exactly that many UTF-8 bytes and a binary message of that
many bytes, each in one frame, and checks the echo. Prints ``OK text-<size>`` and
``OK binary-<size>`` per check and ``PASS sizes`` at the end; on a mismatch prints
``FAIL sizes: <what>`` and exits 1 (2 for usage).

Used by rfc6455/tests/interop_node.rs for the sizes ws_client.py does not send
(ws_client.py's ``sizes``, ``empty`` and ``large`` scenarios cover the rest).
"""

import asyncio
import sys

from websockets.asyncio.client import connect

TIMEOUT = 60.0


def text_of(size: int) -> str:
    """A text of exactly `size` UTF-8 bytes, with 1-, 2- and 3-byte characters."""
    text = "aé€" * (size // 6) + "x" * (size % 6)
    assert len(text.encode()) == size
    return text


def binary_of(size: int) -> bytes:
    return (bytes(range(251)) * (size // 251 + 1))[:size]


async def run(url: str, sizes: list[int]) -> None:
    async with connect(url, max_size=None, ping_interval=None) as ws:
        for size in sizes:
            for name, message in ((f"text-{size}", text_of(size)), (f"binary-{size}", binary_of(size))):
                await ws.send(message)
                got = await asyncio.wait_for(ws.recv(), TIMEOUT)
                assert type(got) is type(message), f"{name}: got {type(got).__name__}"
                assert got == message, f"{name}: got {len(got)} different bytes/chars"
                print(f"OK {name}", flush=True)
        await asyncio.wait_for(ws.close(), TIMEOUT)
        assert ws.close_code == 1000, f"closed with {ws.close_code}"


def main() -> int:
    try:
        url, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
    except (IndexError, ValueError):
        print(f"usage: {sys.argv[0]} URL SIZE[,SIZE...]", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(url, sizes))
    except AssertionError as exc:
        print(f"FAIL sizes: {exc}", flush=True)
        return 1
    print("PASS sizes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
