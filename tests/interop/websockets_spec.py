"""Sends every example of the JSON-RPC 2.0 specification byte for byte over a
raw WebSocket (Python's websockets) and checks each answer by the vector
file's rules; for notifications, checks that nothing comes back.

Usage: python websockets_spec.py ws://127.0.0.1:PORT/ path/to/jsonrpc2-examples.json
"""
import asyncio
import json
import sys

import websockets

URL, VECTORS = sys.argv[1], sys.argv[2]


def comparable(name, resp):
    assert resp.get("jsonrpc") == "2.0", f"{name}: {resp}"
    assert ("result" in resp) != ("error" in resp), f"{name}: exactly one of result/error: {resp}"
    assert "id" in resp, f"{name}: no id: {resp}"
    if "error" in resp:
        assert isinstance(resp["error"]["code"], int) and isinstance(resp["error"]["message"], str), resp
        return f"error {resp['error']['code']} id {json.dumps(resp['id'])}"
    return f"result {json.dumps(resp['result'])} id {json.dumps(resp['id'])}"


async def expect_nothing(ws, name):
    # Nothing may come back; a following ping call proves the connection lives
    # and that no stray reply was queued before it.
    probe = '{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"probe"}'
    await ws.send(probe)
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert reply.get("id") == "probe", f"{name}: expected no response, got {reply}"


async def main():
    vectors = json.load(open(VECTORS))["vectors"]
    passed = 0
    async with websockets.connect(URL) as ws:
        for v in vectors:
            name = v["name"]
            await ws.send(v["request"])
            if v["response"] is None:
                await expect_nothing(ws, name)
            else:
                got = json.loads(await asyncio.wait_for(ws.recv(), 5))
                want = v["response"]
                if isinstance(want, list):
                    assert isinstance(got, list), f"{name}: expected a batch response, got {got}"
                    assert sorted(comparable(name, r) for r in got) == sorted(comparable(name, r) for r in want), \
                        f"{name}: {got}"
                else:
                    assert comparable(name, got) == comparable(name, want), f"{name}: {got} != {want}"
            passed += 1
            print(f"ok   {name}")
        # A binary frame is answered with a binary frame.
        await ws.send(b'{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"bin"}')
        reply = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(reply, bytes), f"binary request answered with {type(reply)}"
        assert json.loads(reply)["result"] == 19
        passed += 1
        print("ok   binary frame answered in binary")
    print(f"{passed} passed, 0 failed")


asyncio.run(main())
