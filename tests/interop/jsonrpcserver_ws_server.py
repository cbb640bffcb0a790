"""An independent WebSocket JSON-RPC server: websockets + jsonrpcserver.

Usage: python jsonrpcserver_ws_server.py
Binds 127.0.0.1 on a free port, prints `PORT <n>`, serves until killed.
Methods: subtract(minuend, subtrahend), sum(*nums), fail() (an error with
code 4001). On each connection the server first pushes a notification
`welcome` with params ["hello from jsonrpcserver"] to the client, and a
call to `ping_me` makes it push a `pinged` notification before answering.
"""
import asyncio
import json

import websockets
from jsonrpcserver import Error, Success, async_dispatch, method


@method
async def subtract(minuend, subtrahend):
    return Success(minuend - subtrahend)


@method
async def sum(*nums):
    total = 0
    for n in nums:
        total += n
    return Success(total)


@method
async def fail():
    return Error(4001, "vault is locked", {"door": 7})


CURRENT = {}


@method
async def ping_me():
    ws = CURRENT["ws"]
    await ws.send(json.dumps({"jsonrpc": "2.0", "method": "pinged", "params": ["pong"]}))
    return Success("sent")


async def handler(ws):
    CURRENT["ws"] = ws
    await ws.send(json.dumps({"jsonrpc": "2.0", "method": "welcome", "params": ["hello from jsonrpcserver"]}))
    async for message in ws:
        if isinstance(message, bytes):
            message = message.decode()
        response = await async_dispatch(message)
        if response:
            await ws.send(response)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
