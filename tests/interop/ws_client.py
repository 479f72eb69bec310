#!/usr/bin/env python3
"""Client on the `websockets` asyncio implementation: runs a scenario against our server.

    ws_client.py URL SCENARIO

The server at URL must echo every message unchanged (text as text, binary as binary),
close with 4000 "server says bye" on the text message ``close-me``, and pick the ``chat``
subprotocol when it is offered.

Prints ``OK <check>`` for every check that passed and ``PASS <scenario>`` at the end;
on a mismatch it prints the assertion to stderr and exits with status 1 (2 for usage).
The ``close`` scenario also prints ``CLOSE_RECEIVED <code> <reason>``: the close frame
the server answered with.

Scenarios: text, binary, empty, sizes, large, fragmented, ping, close, server-close,
subprotocol, all (every scenario that leaves the server running, on one connection each).
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

TIMEOUT = 60.0


def out(line: str) -> None:
    print(line, flush=True)


def describe(value) -> str:
    kind = type(value).__name__
    if len(value) > 40:
        return f"{kind} of {len(value)} bytes/chars starting {value[:20]!r}"
    return f"{kind} {value!r}"


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def roundtrip(ws, message, name: str) -> None:
    """Send `message` unfragmented and check that it comes back identical, same type."""
    await ws.send(message)
    await expect(ws, message, name)


async def expect(ws, expected, name: str) -> None:
    got = await recv(ws)
    assert type(got) is type(expected), f"{name}: sent {describe(expected)}, got {describe(got)}"
    assert got == expected, f"{name}: sent {describe(expected)}, got {describe(got)}"
    out(f"OK {name}")


def text_of(size: int) -> str:
    """A text of exactly `size` UTF-8 bytes, with 1-, 2- and 3-byte characters."""
    unit = "aé€"  # 1 + 2 + 3 = 6 bytes
    text = unit * (size // 6) + "x" * (size % 6)
    assert len(text.encode()) == size
    return text


def binary_of(size: int) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size]


# ------------------------------------------------------------------ scenarios


async def scenario_text(url: str) -> None:
    async with connect(url) as ws:
        for i, message in enumerate(["Hello", "héllo wörld ✓", "日本語テキスト", "emoji 🦀🎉", "\x00nul\x00"]):
            await roundtrip(ws, message, f"text#{i}")


async def scenario_binary(url: str) -> None:
    async with connect(url) as ws:
        for i, message in enumerate([b"\x00\x01\x02\xff", bytes(range(256)), b"\xc3\x28 not utf-8"]):
            await roundtrip(ws, message, f"binary#{i}")


async def scenario_empty(url: str) -> None:
    async with connect(url) as ws:
        await roundtrip(ws, "", "empty-text")
        await roundtrip(ws, b"", "empty-binary")


async def scenario_sizes(url: str) -> None:
    # 125: largest 7-bit length; 126: smallest 16-bit; 65535: largest 16-bit; 65536:
    # smallest 64-bit.
    async with connect(url, max_size=None) as ws:
        for size in (125, 126, 65535, 65536):
            await roundtrip(ws, text_of(size), f"text-{size}")
            await roundtrip(ws, binary_of(size), f"binary-{size}")


async def scenario_large(url: str) -> None:
    size = 16 * 1024 * 1024
    async with connect(url, max_size=None) as ws:
        await roundtrip(ws, binary_of(size), f"binary-{size}")
        await roundtrip(ws, text_of(size), f"text-{size}")


async def scenario_fragmented(url: str) -> None:
    async def agen():
        for part in ["async ", "frag", "ments"]:
            await asyncio.sleep(0)
            yield part

    async with connect(url) as ws:
        await ws.send(["Hel", "lo, ", "wörld"])
        await expect(ws, "Hello, wörld", "fragmented-text")
        await ws.send([b"\x00\x01", b"\x02", b"\x03\xff"])
        await expect(ws, b"\x00\x01\x02\x03\xff", "fragmented-binary")
        await ws.send(["a", "", "b"])
        await expect(ws, "ab", "fragmented-empty-fragment")
        # A character split across fragments: UTF-8 is checked over the whole message.
        await ws.send([b"caf\xc3", b"\xa9 \xe2\x82", b"\xac"], text=True)
        await expect(ws, "café €", "fragmented-split-utf8")
        await ws.send(agen())
        await expect(ws, "async fragments", "fragmented-async")
        parts = [binary_of(1000)] * 1000
        await ws.send(parts)
        await expect(ws, b"".join(parts), "fragmented-1000x1000")
        # Whole messages still work after fragmented ones.
        await roundtrip(ws, "after", "after-fragments")


async def scenario_ping(url: str) -> None:
    async with connect(url, ping_interval=None) as ws:
        for name, payload in [("ping-text", b"interop-ping"), ("ping-empty", b""), ("ping-125", binary_of(125))]:
            pong = await ws.ping(payload)
            latency = await asyncio.wait_for(pong, TIMEOUT)
            out(f"OK {name} ({latency * 1000:.1f} ms)")
        # A ping between messages does not disturb them.
        await ws.send("before")
        pong = await ws.ping(b"between")
        await expect(ws, "before", "message-before-pong")
        await asyncio.wait_for(pong, TIMEOUT)
        out("OK pong-between")
        await roundtrip(ws, "after ping", "after-ping")


async def scenario_close(url: str) -> None:
    async with connect(url) as ws:
        await roundtrip(ws, "before close", "before-close")
        await asyncio.wait_for(ws.close(4000, "client says bye"), TIMEOUT)
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        code, reason = ws.close_code, ws.close_reason
        out(f"CLOSE_RECEIVED {code} {reason}")
        assert code == 4000, f"server answered our close 4000 with {code} {reason!r}"
        out("OK close-echoed")


async def scenario_server_close(url: str) -> None:
    async with connect(url) as ws:
        await ws.send("close-me")
        try:
            message = await recv(ws)
            raise AssertionError(f"expected a close, got {describe(message)}")
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        assert rcvd is not None, "connection ended without a close frame from the server"
        out(f"CLOSE_RECEIVED {rcvd.code} {rcvd.reason}")
        assert (rcvd.code, rcvd.reason) == (4000, "server says bye"), f"server closed with {rcvd}"
        out("OK server-close")


async def scenario_subprotocol(url: str) -> None:
    async with connect(url, subprotocols=["chat"]) as ws:
        assert ws.subprotocol == "chat", f"offered chat, got {ws.subprotocol!r}"
        await roundtrip(ws, "chatting", "subprotocol-chat")
    async with connect(url, subprotocols=["superchat", "chat"]) as ws:
        assert ws.subprotocol == "chat", f"offered superchat, chat; got {ws.subprotocol!r}"
        out("OK subprotocol-second-choice")
    async with connect(url, subprotocols=["superchat"]) as ws:
        assert ws.subprotocol is None, f"offered superchat only, got {ws.subprotocol!r}"
        await roundtrip(ws, "plain", "subprotocol-none-shared")
    async with connect(url) as ws:
        assert ws.subprotocol is None, f"offered nothing, got {ws.subprotocol!r}"
        out("OK subprotocol-not-offered")


STREAM_SIZE = 100 << 20
STREAM_CHUNK = 1 << 20


async def scenario_stream(url: str) -> None:
    """Send 100 MiB as a fragmented message from an async iterator; the server (our
    streaming handler) answers with 100 MiB of 0xA5, read here with recv_streaming."""
    async def chunks():
        for _ in range(STREAM_SIZE // STREAM_CHUNK):
            yield b"\x5a" * STREAM_CHUNK

    async with connect(url, max_size=None) as ws:
        await ws.send(chunks())
        out("OK stream-sent")
        total = 0
        async for fragment in ws.recv_streaming():
            assert fragment.count(0xA5) == len(fragment), "streamed reply corrupted"
            total += len(fragment)
        assert total == STREAM_SIZE, f"streamed reply of {total} bytes"
        out(f"OK stream-received {total}")


SCENARIOS = {
    "text": scenario_text,
    "binary": scenario_binary,
    "empty": scenario_empty,
    "sizes": scenario_sizes,
    "large": scenario_large,
    "fragmented": scenario_fragmented,
    "ping": scenario_ping,
    "close": scenario_close,
    "server-close": scenario_server_close,
    "subprotocol": scenario_subprotocol,
    "stream-100mib": scenario_stream,
}

ALL = ["text", "binary", "empty", "sizes", "fragmented", "ping", "subprotocol"]


async def run(url: str, scenario: str) -> None:
    names = ALL if scenario == "all" else [scenario]
    for name in names:
        await asyncio.wait_for(SCENARIOS[name](url), 4 * TIMEOUT)
        out(f"PASS {name}")


def main() -> int:
    if len(sys.argv) != 3 or (sys.argv[2] not in SCENARIOS and sys.argv[2] != "all"):
        print(f"usage: {sys.argv[0]} URL {{{'|'.join([*SCENARIOS, 'all'])}}}", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(sys.argv[1], sys.argv[2]))
    except AssertionError as exc:
        print(f"FAIL {sys.argv[2]}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
