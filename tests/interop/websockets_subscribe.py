"""Checks the exact wire format of our subscriptions with a raw WebSocket
(Python's websockets): the subscribe reply, three notifications byte for
byte, the unsubscribe answer, silence after it, and the last notification
of a subscription the server ends.

Usage: python websockets_subscribe.py ws://127.0.0.1:PORT/

Prints one `ok ...` line per check, then `SUMMARY <json>` (what the Rust
test asserts on), then `N passed, 0 failed`.
"""
import asyncio
import json
import sys

import websockets

URL = sys.argv[1]
LIMIT = 5  # seconds for any one frame: a hang fails
QUIET = 0.2  # seconds without a frame after the unsubscribe answer

passed = 0


def ok(what):
    global passed
    passed += 1
    print(f"ok   {what}")


async def recv_text(ws):
    frame = await asyncio.wait_for(ws.recv(), LIMIT)
    assert isinstance(frame, str), f"expected a text frame, got {frame!r}"
    return frame


def check_notification(text, method, sub_id):
    """The notification's structure, key by key; returns params.result."""
    note = json.loads(text)
    assert list(note) == ["jsonrpc", "method", "params"], f"keys: {text}"
    assert note["jsonrpc"] == "2.0", text
    assert note["method"] == method, text
    params = note["params"]
    assert list(params) == ["subscription", "result"], f"params keys: {text}"
    assert params["subscription"] == sub_id, text
    return params["result"]


async def subscribe(ws, method, params, request_id):
    await ws.send(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": request_id},
                             separators=(",", ":")))
    text = await recv_text(ws)
    reply = json.loads(text)
    sub_id = reply.get("result")
    assert isinstance(sub_id, str), f"the subscription id is a string: {text}"
    want = '{"jsonrpc":"2.0","result":' + json.dumps(sub_id) + ',"id":' + json.dumps(request_id) + "}"
    assert text == want, f"subscribe reply {text!r} != {want!r}"
    return sub_id


async def main():
    summary = {}
    async with websockets.connect(URL) as ws:
        sub_id = await subscribe(ws, "subscribe_count", [1, 10], 1)
        summary["id"] = sub_id
        ok("subscribe reply is exactly {\"jsonrpc\":\"2.0\",\"result\":<id>,\"id\":1}")

        results = []
        for n in (1, 2, 3):
            text = await recv_text(ws)
            result = check_notification(text, "count", sub_id)
            want = ('{"jsonrpc":"2.0","method":"count","params":{"subscription":'
                    + json.dumps(sub_id) + ',"result":' + str(n) + "}}")
            assert text == want, f"notification {text!r} != {want!r}"
            results.append(result)
        summary["results"] = results
        ok("three notifications, byte for byte, results 1, 2, 3")

        await ws.send('{"jsonrpc":"2.0","method":"unsubscribe_count","params":[' + json.dumps(sub_id) + '],"id":2}')
        # Items already queued may come before the answer; none after it.
        late = 0
        while True:
            text = await recv_text(ws)
            message = json.loads(text)
            if message.get("id") == 2:
                assert text == '{"jsonrpc":"2.0","result":true,"id":2}', f"unsubscribe answer {text!r}"
                break
            check_notification(text, "count", sub_id)
            late += 1
        summary["unsubscribed"] = True
        summary["queued_before_answer"] = late
        ok("unsubscribe answers true")

        try:
            stray = await asyncio.wait_for(ws.recv(), QUIET)
        except asyncio.TimeoutError:
            stray = None
        assert stray is None, f"a frame after the unsubscribe answer: {stray!r}"
        summary["quiet_ms"] = int(QUIET * 1000)
        ok(f"no frame within {int(QUIET * 1000)} ms after the unsubscribe answer")

        # The id is gone: unsubscribing again answers false (and proves the
        # connection still serves).
        await ws.send('{"jsonrpc":"2.0","method":"unsubscribe_count","params":[' + json.dumps(sub_id) + '],"id":3}')
        text = await recv_text(ws)
        assert text == '{"jsonrpc":"2.0","result":false,"id":3}', f"second unsubscribe {text!r}"
        summary["unsubscribed_again"] = False
        ok("a second unsubscribe answers false")

        # A subscription the server ends: its last notification carries
        # params.error (an error object) instead of params.result.
        upto = await subscribe(ws, "subscribe_upto", [1, 2], 4)
        for n in (1, 2):
            assert check_notification(await recv_text(ws), "upto", upto) == n
        text = await recv_text(ws)
        last = json.loads(text)
        assert list(last) == ["jsonrpc", "method", "params"], f"keys: {text}"
        assert last["method"] == "upto", text
        params = last["params"]
        assert list(params) == ["subscription", "error"], f"params keys: {text}"
        assert params["subscription"] == upto, text
        error = params["error"]
        assert isinstance(error.get("code"), int) and isinstance(error.get("message"), str), text
        summary["ended_error"] = error
        ok("a server-ended subscription's last notification has params.error")

        await ws.send('{"jsonrpc":"2.0","method":"unsubscribe_upto","params":[' + json.dumps(upto) + '],"id":5}')
        text = await recv_text(ws)
        assert text == '{"jsonrpc":"2.0","result":false,"id":5}', f"unsubscribe after the end {text!r}"
        ok("unsubscribing an ended subscription answers false")

    print("SUMMARY " + json.dumps(summary, separators=(",", ":")))
    print(f"{passed} passed, 0 failed")


asyncio.run(main())
