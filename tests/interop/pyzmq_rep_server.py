"""An independent JSON-RPC responder on a pyzmq REP socket (libzmq), written
with pyzmq and the json module only: subtract (positional or named), sum,
echo, fail (error 4001 with data), batches, notifications (answered with
the empty message, as REP must reply to everything), -32700 and -32601.

Usage: python pyzmq_rep_server.py
Binds tcp://127.0.0.1 on a free port, prints `PORT <n>`, serves until killed.
"""
import json

import zmq


def subtract(params):
    if isinstance(params, dict):
        return params["minuend"] - params["subtrahend"]
    return params[0] - params[1]


METHODS = {
    "subtract": subtract,
    "sum": lambda params: sum(params),
    "echo": lambda params: params[0] if isinstance(params, list) else params["value"],
}


def error(code, message, id, data=None):
    err = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "error": err, "id": id}


def answer(request):
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
        return error(-32600, "Invalid Request", None)
    id = request.get("id")
    notification = "id" not in request
    method = request["method"]
    params = request.get("params", [])
    if method == "fail":
        response = error(4001, "failed on purpose", id, {"why": "asked"})
    elif method not in METHODS:
        response = error(-32601, "Method not found", id)
    else:
        try:
            response = {"jsonrpc": "2.0", "result": METHODS[method](params), "id": id}
        except Exception as e:  # noqa: BLE001
            response = error(-32602, f"Invalid params: {e}", id)
    return None if notification else response


def handle(text):
    try:
        message = json.loads(text)
    except ValueError:
        return error(-32700, "Parse error", None)
    if isinstance(message, list):
        if not message:
            return error(-32600, "Invalid Request", None)
        answers = [a for a in (answer(m) for m in message) if a is not None]
        return answers or None
    return answer(message)


def main():
    context = zmq.Context()
    socket = context.socket(zmq.REP)
    port = socket.bind_to_random_port("tcp://127.0.0.1")
    print(f"PORT {port}", flush=True)
    while True:
        text = socket.recv()
        reply = handle(text)
        socket.send(b"" if reply is None else json.dumps(reply).encode())


if __name__ == "__main__":
    main()
