// Runs the client generated for spec_server (compiled to CommonJS next to
// this script as client.js) against a running spec_server:
// node run_client.js CLIENT_JS HTTP_URL WS_URL. Prints one line per check
// ("ok NAME"), exits 1 at the first failure.
"use strict";
const assert = require("node:assert/strict");
const WebSocket = require("ws");
const { httpClient, webSocketClient, RpcError } = require(process.argv[2]);

async function check(name, body) {
  try {
    await body();
    console.log(`ok ${name}`);
  } catch (error) {
    console.log(`FAILED ${name}: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  }
}

async function calls(kind, client) {
  await check(`${kind} call`, async () => {
    assert.equal(await client.subtract(42, 23), 19);
    assert.deepEqual(await client.get_data(), ["hello", 5]);
  });
  await check(`${kind} named params`, async () => {
    assert.equal(await client.call("subtract", { subtrahend: 23, minuend: 42 }), 19);
  });
  await check(`${kind} batch`, async () => {
    const [a, b, c, d] = await client.batch([
      client.request("subtract", [10, 3]),
      client.notification("notify_hello", [7]),
      client.request("get_data", []),
      client.request("subtract", [-4611686018427388000, 4611686018427388000]),
    ]);
    assert.deepEqual(a, { ok: true, result: 7 });
    assert.deepEqual(b, { ok: true, result: undefined });
    assert.deepEqual(c, { ok: true, result: ["hello", 5] });
    assert.equal(d.ok, false);
    assert.equal(d.error.code, 1000);
  });
  await check(`${kind} typed error`, async () => {
    await assert.rejects(client.subtract(-4611686018427388000, 4611686018427388000), (error) => {
      assert.ok(error instanceof RpcError, `an RpcError: ${error}`);
      assert.equal(error.code, 1000);
      assert.equal(error.error.code, 1000);
      return true;
    });
    const settled = await client.settle("subtract", [-4611686018427388000, 4611686018427388000]);
    assert.equal(settled.ok, false);
    assert.equal(settled.error.code, 1000);
    const unknown = await client.settle("subtract", ["not a number", 1]);
    assert.equal(unknown.ok, false);
    assert.equal(unknown.error.code, -32602);
  });
  await check(`${kind} notification`, async () => {
    assert.equal(await client.notify_hello(5), undefined);
  });
}

async function main() {
  const [, , , httpUrl, wsUrl] = process.argv;
  const http = httpClient(httpUrl);
  await calls("http", http);
  await check("http subscription refused", async () => {
    await assert.rejects(http.subscribe_count(1, 10), /WebSocket/);
  });

  const ws = webSocketClient(wsUrl, WebSocket);
  await calls("ws", ws);
  await check("ws calls multiplexed", async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => ws.subtract(n * 10, n)));
    assert.deepEqual(answers, [9, 18, 27, 36, 45]);
  });
  await check("ws subscription", async () => {
    const subscription = await ws.subscribe_count(1, 10);
    const items = [];
    for await (const item of subscription) {
      items.push(item);
      if (items.length === 3) break; // ends it: unsubscribe_count is sent
    }
    assert.deepEqual(items, [1, 2, 3]);
    const again = await subscription[Symbol.asyncIterator]().next();
    assert.equal(again.done, true);
    // The server no longer knows the id.
    assert.equal(await ws.unsubscribe_count(subscription.id), false);
  });
  await check("ws subscription ends on close", async () => {
    const subscription = await ws.subscribe_count(1, 10);
    const iterator = subscription[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
    ws.close();
    let next = await iterator.next();
    while (!next.done) next = await iterator.next();
    assert.equal(next.done, true);
    // Calls after the close fail as transport errors, not as error replies.
    await assert.rejects(ws.subtract(1, 2), (error) => error.name === "TransportError");
  });
  console.log("all passed");
}

main();
