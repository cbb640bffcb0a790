"""Sends every example of the JSON-RPC 2.0 specification byte for byte from a
pyzmq REQ socket (libzmq) to our ZeroMQ server and checks each answer by the
vector file's rules; where the specification says no response, the reply
must be the empty message. Then a two-frame message and a non-JSON one,
which must get their defined answers (-32600, -32700).

Usage: python pyzmq_req_spec.py tcp://127.0.0.1:PORT path/to/jsonrpc2-examples.json
"""
import json
import sys

import zmq

ENDPOINT, VECTORS = sys.argv[1], sys.argv[2]


def comparable(name, resp):
    assert resp.get("jsonrpc") == "2.0", f"{name}: {resp}"
    assert ("result" in resp) != ("error" in resp), f"{name}: exactly one of result/error: {resp}"
    assert "id" in resp, f"{name}: no id: {resp}"
    if "error" in resp:
        assert isinstance(resp["error"]["code"], int) and isinstance(resp["error"]["message"], str), resp
        return f"error {resp['error']['code']} id {json.dumps(resp['id'])}"
    return f"result {json.dumps(resp['result'])} id {json.dumps(resp['id'])}"


def main():
    vectors = json.load(open(VECTORS))["vectors"]
    context = zmq.Context()
    socket = context.socket(zmq.REQ)
    socket.setsockopt(zmq.RCVTIMEO, 5000)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(ENDPOINT)
    passed = 0
    for v in vectors:
        name = v["name"]
        socket.send_string(v["request"])
        reply = socket.recv()
        if v["response"] is None:
            assert reply == b"", f"{name}: expected the empty reply, got {reply!r}"
        else:
            got = json.loads(reply)
            want = v["response"]
            if isinstance(want, list):
                assert isinstance(got, list), f"{name}: expected a batch response, got {got}"
                assert sorted(comparable(name, r) for r in got) == sorted(comparable(name, r) for r in want), \
                    f"{name}: {got}"
            else:
                assert comparable(name, got) == comparable(name, want), f"{name}: {got} != {want}"
        passed += 1
        print(f"ok   {name}")
    socket.send_multipart([b'{"jsonrpc":"2.0",', b'"method":"sum","params":[1],"id":1}'])
    got = json.loads(socket.recv())
    assert got["error"]["code"] == -32600 and got["id"] is None, got
    assert "one JSON-RPC message per ZeroMQ message" in got["error"]["message"], got
    passed += 1
    print("ok   multipart")
    socket.send(b"\xff not json")
    got = json.loads(socket.recv())
    assert got["error"]["code"] == -32700, got
    passed += 1
    print("ok   not JSON")
    socket.close()
    context.term()
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
