"""An independent JSON-RPC server: Python's json-rpc package on werkzeug.

Usage: python jsonrpc_werkzeug_server.py
Binds 127.0.0.1 on a free port and prints `PORT <n>` on stdout, then serves
until killed. Methods: subtract(minuend, subtrahend), sum(*nums), echo(value),
fail() (raises a JSON-RPC error with code 4001 and data), crash() (raises a
plain exception: json-rpc answers -32000 "Server error"), and update,
notify_hello, notify_sum, get_data, so that every example of the
specification can be sent to it.
"""
import sys

from jsonrpc import JSONRPCResponseManager, dispatcher
from jsonrpc.exceptions import JSONRPCDispatchException
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dispatcher.add_method
def subtract(minuend, subtrahend):
    return minuend - subtrahend


@dispatcher.add_method
def sum(*nums):
    total = 0
    for n in nums:
        total += n
    return total


@dispatcher.add_method
def echo(value):
    return value


@dispatcher.add_method
def fail():
    raise JSONRPCDispatchException(code=4001, message="vault is locked", data={"door": 7})


@dispatcher.add_method
def crash():
    raise RuntimeError("boom")


# The methods the specification's examples assume (besides subtract and sum).
@dispatcher.add_method
def update(*args):
    return None


@dispatcher.add_method
def notify_hello(*args):
    return None


@dispatcher.add_method
def notify_sum(*args):
    return None


@dispatcher.add_method
def get_data():
    return ["hello", 5]


@Request.application
def application(request):
    response = JSONRPCResponseManager.handle(request.data, dispatcher)
    if response is None:
        # json-rpc returns nothing for a notification; answer with no body.
        return Response(status=204)
    return Response(response.json, mimetype="application/json")


server = make_server("127.0.0.1", 0, application, threaded=True)
print(f"PORT {server.server_port}", flush=True)
server.serve_forever()
