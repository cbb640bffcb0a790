"""Raw TCP client for the interop tests, with nothing but the standard
library's socket module: sends every example of the JSON-RPC 2.0
specification to a server framed with newlines or Content-Length headers,

  (i)  split in two at every byte boundary (each fragment sent on its own,
       with TCP_NODELAY and a short pause between them), and
  (ii) several messages in one packet: each example with a probe call
       behind it, then every example at once,

and prints what comes back as JSON lines for the Rust test to check:

  {"mode": "split", "name": ..., "cut": k, "answers": [...]}
  {"mode": "packet", "name": ..., "answers": [...]}
  {"mode": "all", "answers": [...]}

Each "answers" holds the texts answering the example (never the probe's).
The last line is "N passed, 0 failed", N the number of exchanges.

usage: raw_tcp_spec.py HOST PORT newline|content-length VECTORS.json
"""

import json
import socket
import sys
import time

TIMEOUT = 10.0


def frame(framing, text):
    if framing == "newline":
        # A raw newline would cut the message; outside strings it is
        # whitespace (and the examples hold none inside strings).
        return text.replace("\r", " ").replace("\n", " ").encode() + b"\n"
    body = text.encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Reader:
    """Reads framed messages from a socket."""

    def __init__(self, sock, framing):
        self.sock = sock
        self.framing = framing
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def next(self):
        if self.framing == "newline":
            return self._line().rstrip(b"\r").decode()
        length = None
        while True:
            head = self._line().rstrip(b"\r").decode()
            if head == "":
                break
            name, value = head.split(":", 1)
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise ValueError("an answer without Content-Length")
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return body.decode()


def connect(host, port, framing):
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    # Each fragment goes out as a segment of its own.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, Reader(sock, framing)


def probe(n):
    return json.dumps(
        {"jsonrpc": "2.0", "method": "subtract", "params": [2, 1], "id": "probe-%d" % n}
    )


def is_probe(text, n):
    try:
        answer = json.loads(text)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("id") == "probe-%d" % n


def answers_until_probe(reader, n):
    """The answers before the probe's (which must come)."""
    got = []
    while True:
        text = reader.next()
        if is_probe(text, n):
            return got
        got.append(text)


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    host, port, framing, vectors_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(vectors_file, encoding="utf-8") as f:
        vectors = json.load(f)["vectors"]
    exchanges = 0
    n = 0

    # (i) Split at every byte boundary, on one connection.
    sock, reader = connect(host, port, framing)
    for vector in vectors:
        message = frame(framing, vector["request"])
        for cut in range(1, len(message)):
            sock.sendall(message[:cut])
            time.sleep(0.001)
            sock.sendall(message[cut:])
            if vector["response"] is None:
                # Nothing is due: a probe behind it must be answered next.
                n += 1
                sock.sendall(frame(framing, probe(n)))
                got = answers_until_probe(reader, n)
            else:
                got = [reader.next()]
            emit({"mode": "split", "name": vector["name"], "cut": cut, "answers": got})
            exchanges += 1
    sock.close()

    # (ii) Each example and a probe in one packet.
    sock, reader = connect(host, port, framing)
    for vector in vectors:
        n += 1
        sock.sendall(frame(framing, vector["request"]) + frame(framing, probe(n)))
        due = 0 if vector["response"] is None else 1
        got = []
        seen_probe = False
        while len(got) < due or not seen_probe:
            text = reader.next()
            if is_probe(text, n):
                seen_probe = True
            else:
                got.append(text)
        emit({"mode": "packet", "name": vector["name"], "answers": got})
        exchanges += 1

    # Every example in one packet, then a probe: every answer due comes
    # before the probe's, and nothing more.
    n += 1
    sock.sendall(b"".join(frame(framing, v["request"]) for v in vectors))
    due = sum(1 for v in vectors if v["response"] is not None)
    got = [reader.next() for _ in range(due)]
    sock.sendall(frame(framing, probe(n)))
    extra = answers_until_probe(reader, n)
    emit({"mode": "all", "answers": got + extra})
    exchanges += 1
    sock.close()

    print("%d passed, 0 failed" % exchanges, flush=True)


if __name__ == "__main__":
    main()
