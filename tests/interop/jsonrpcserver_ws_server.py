"""An independent WebSocket JSON-RPC server: websockets + jsonrpcserver.

Usage: python jsonrpcserver_ws_server.py
Binds 127.0.0.1 on a free port, prints `PORT <n>`, serves until killed.
Methods: subtract(minuend, subtrahend), sum(*nums), fail() (an error with
code 4001 and data). On each connection the server first pushes a
notification `welcome` with params ["hello from jsonrpcserver"] to the
client; a call to `ping_me` makes it push a `pinged` notification (params
["pong"]) before answering "sent"; a call to `ask_client(a, b)` makes it
call the client's `client.add` with [a, b] and answer what the client said.
Also update, notify_hello, notify_sum and get_data, so that every example
of the specification can be sent to it.

jsonrpcserver only dispatches requests: the client's responses to the
server's own calls are picked out here, before dispatch, and handed to the
call waiting for them.
"""
import asyncio
import contextvars
import itertools
import json

import websockets
from jsonrpcserver import Error, Success, async_dispatch, method

# The connection a method runs for: each connection's handler task (and the
# tasks it starts) sees its own.
CONNECTION = contextvars.ContextVar("connection")
SERVER_IDS = itertools.count(1)


class Connection:
    def __init__(self, ws):
        self.ws = ws
        self.waiting = {}

    async def notify(self, name, params):
        await self.ws.send(json.dumps({"jsonrpc": "2.0", "method": name, "params": params}))

    async def call(self, name, params):
        call_id = f"srv-{next(SERVER_IDS)}"
        answer = asyncio.get_running_loop().create_future()
        self.waiting[call_id] = answer
        await self.ws.send(json.dumps({"jsonrpc": "2.0", "method": name, "params": params, "id": call_id}))
        try:
            return await asyncio.wait_for(answer, 10)
        finally:
            self.waiting.pop(call_id, None)

    def take_response(self, message):
        """Hands a response to the call waiting for it; False if `message` is not one."""
        try:
            parsed = json.loads(message)
        except ValueError:
            return False
        if not isinstance(parsed, dict) or "method" in parsed or not ("result" in parsed or "error" in parsed):
            return False
        answer = self.waiting.get(parsed.get("id"))
        if answer is not None and not answer.done():
            answer.set_result(parsed)
        return True


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


# The methods the specification's examples assume (besides subtract and sum).
@method
async def update(*args):
    return Success(None)


@method
async def notify_hello(*args):
    return Success(None)


@method
async def notify_sum(*args):
    return Success(None)


@method
async def get_data():
    return Success(["hello", 5])


@method
async def ping_me():
    await CONNECTION.get().notify("pinged", ["pong"])
    return Success("sent")


@method
async def ask_client(a, b):
    response = await CONNECTION.get().call("client.add", [a, b])
    if "error" in response:
        return Error(4002, "the client failed", response["error"])
    return Success(response["result"])


async def serve_one(connection, message):
    response = await async_dispatch(message)
    if response:
        await connection.ws.send(response)


async def handler(ws):
    connection = Connection(ws)
    CONNECTION.set(connection)
    await connection.notify("welcome", ["hello from jsonrpcserver"])
    tasks = set()
    async for message in ws:
        if isinstance(message, bytes):
            message = message.decode()
        if connection.take_response(message):
            continue
        # Concurrently, so that a method awaiting the client's answer does
        # not stop this loop from reading it.
        task = asyncio.create_task(serve_one(connection, message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
