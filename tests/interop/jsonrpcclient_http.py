"""Drives our HTTP server with Python's jsonrpcclient (+ requests).

Usage: python jsonrpcclient_http.py http://127.0.0.1:PORT/
Runs positional, named, notification, batch and error cases against the
spec server's methods; prints one line per check and exits non-zero on the
first failure.
"""
import sys

import requests
from jsonrpcclient import Error, Ok, notification, parse, request

URL = sys.argv[1]
checks = 0


def check(name, cond, detail=""):
    global checks
    if not cond:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    checks += 1
    print(f"ok   {name}")


def post(payload):
    return requests.post(URL, json=payload, timeout=10)


r = parse(post(request("subtract", params=[42, 23])).json())
check("positional subtract", isinstance(r, Ok) and r.result == 19, r)

r = parse(post(request("subtract", params={"minuend": 42, "subtrahend": 23})).json())
check("named subtract", isinstance(r, Ok) and r.result == 19, r)

resp = post(notification("update", params=[1, 2, 3, 4, 5]))
check("notification gets 204", resp.status_code == 204, resp.status_code)
check("notification body is empty", resp.content == b"", resp.content)

batch = [
    request("sum", params=[1, 2, 4]),
    notification("notify_hello", params=[7]),
    request("subtract", params=[42, 23]),
    request("get_data"),
]
resp = post(batch)
responses = list(parse(resp.json()))
check("batch answers every call but not the notification", len(responses) == 3, responses)
results = sorted((str(x.result) for x in responses if isinstance(x, Ok)))
check("batch results", results == sorted(["7", "19", "['hello', 5]"]), results)

r = parse(post(request("foobar")).json())
check("unknown method is -32601", isinstance(r, Error) and r.code == -32601, r)

r = parse(post(request("subtract", params=[1, "x"])).json())
check("wrong param type is -32602 naming it", isinstance(r, Error) and r.code == -32602 and "subtrahend" in r.message, r)

r = parse(post(request("subtract", params=[1, 2, 3])).json())
check("surplus params is -32602", isinstance(r, Error) and r.code == -32602, r)

resp = requests.post(URL, data=b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
                     headers={"content-type": "application/json"}, timeout=10)
r = parse(resp.json())
check("invalid JSON is -32700 with HTTP 200", resp.status_code == 200 and isinstance(r, Error) and r.code == -32700, r)

print(f"{checks} passed, 0 failed")
