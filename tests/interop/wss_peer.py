#!/usr/bin/env python3
"""The `websockets` asyncio implementation over TLS: the peer of our wss:// tests.

    wss_peer.py server --cert CERT.pem --key KEY.pem [--host 127.0.0.1] [--port 0]
    wss_peer.py client URL --cafile CA.pem

server: a wss:// echo server. Prints ``PORT <n>`` once listening; echoes every message
unchanged; on the text ``close-me`` closes with 4000 "server says bye"; prints
``CLOSED <code> <reason>`` (what it received from the client) when a connection ends.

client: connects to URL, trusting only the CA certificates of CA.pem (names are checked),
and checks that text, binary and a 1 MiB message come back unchanged, then closes with
1000 "done" and checks the server answered that close with 1000. Prints ``OK <check>`` per check and
``PASS`` at the end; on a mismatch it prints ``FAIL <why>`` to stderr and exits 1.
"""

import argparse
import asyncio
import ssl
import sys

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

# The same echo as the plain ws:// peer (this folder is on the path: scripts run by path).
from ws_echo_server import echo, out

TIMEOUT = 60.0


async def run_server(args) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    async with serve(echo, args.host, args.port, ssl=context, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"websockets {websockets.__version__} wss echo server", file=sys.stderr, flush=True)
        out(f"PORT {port}")
        await server.serve_forever()


async def run_client(args) -> None:
    context = ssl.create_default_context(cafile=args.cafile)
    async with connect(args.url, ssl=context, max_size=None) as ws:
        tls = ws.transport.get_extra_info("ssl_object")
        assert tls is not None, "not a TLS connection"
        out(f"OK tls {tls.version()}")
        for name, message in [
            ("text", "héllo over wss ✓"),
            ("binary", bytes(range(256))),
            ("large", bytes(range(256)) * 4096),
        ]:
            await ws.send(message)
            got = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert got == message and type(got) is type(message), f"{name}: got {got[:40]!r}"
            out(f"OK {name}")
        await asyncio.wait_for(ws.close(1000, "done"), TIMEOUT)
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        # The server answers with our code (the reason is its own to choose).
        assert ws.close_code == 1000, (ws.close_code, ws.close_reason)
        out("OK close")
    out("PASS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server")
    server.add_argument("--cert", required=True)
    server.add_argument("--key", required=True)
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=0)
    client = sub.add_parser("client")
    client.add_argument("url")
    client.add_argument("--cafile", required=True)
    args = parser.parse_args()
    try:
        asyncio.run(run_server(args) if args.role == "server" else run_client(args))
    except AssertionError as exc:
        print(f"FAIL {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
