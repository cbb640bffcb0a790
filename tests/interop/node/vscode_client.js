// vscode-jsonrpc (the library VS Code's language client is built on) as
// the client of our stdio server: spawns the command given on the command
// line, talks to it over its stdin/stdout with Content-Length framing, sends
// the specification's calls and notifications, answers the server's `ask`
// call, and prints one JSON line per case:
//   {"case": NAME, "result": ...} or {"case": NAME, "error": {"code", "message"}}
// then {"case": "exit", "code": N, "asked": [...]} once the server exits.
//
// usage: node vscode_client.js SERVER [ARGS...]
'use strict';

const { spawn } = require('child_process');
const rpc = require('vscode-jsonrpc/node');

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
const connection = rpc.createMessageConnection(
  new rpc.StreamMessageReader(child.stdout),
  new rpc.StreamMessageWriter(child.stdin),
);

const asked = [];
// The server calls us back (its `relay` calls our `ask`).
connection.onRequest('ask', (question) => {
  asked.push(question);
  return `vscode-jsonrpc heard ${JSON.stringify(question)}`;
});
connection.listen();

function print(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

async function run(name, call) {
  try {
    print({ case: name, result: await call() });
  } catch (error) {
    if (error instanceof rpc.ResponseError) {
      print({ case: name, error: { code: error.code, message: error.message } });
    } else {
      print({ case: name, failure: String(error && error.stack || error) });
    }
  }
}

async function main() {
  await run('subtract positional', () => connection.sendRequest('subtract', 42, 23));
  await run('subtract positional reversed', () => connection.sendRequest('subtract', 23, 42));
  await run('subtract named', () =>
    connection.sendRequest('subtract', { subtrahend: 23, minuend: 42 }));
  await run('sum', () => connection.sendRequest('sum', 1, 2, 4));
  await run('get_data', () => connection.sendRequest('get_data'));
  await run('update notification', () => connection.sendNotification('update', 1, 2, 3, 4, 5));
  await run('unknown notification', () => connection.sendNotification('foobar'));
  await run('unknown method', () => connection.sendRequest('foobar'));
  await run('invalid params', () => connection.sendRequest('subtract', 'forty-two', 23));
  await run('missing params', () => connection.sendRequest('subtract', { minuend: 42 }));
  await run('transport', () => connection.sendRequest('transport'));
  await run('relay', () => connection.sendRequest('relay', 'why'));
  await run('many in flight', async () => {
    const calls = [];
    for (let i = 0; i < 100; i++) {
      calls.push(i % 10 === 0
        ? connection.sendRequest('relay', `q${i}`)
        : connection.sendRequest('subtract', i, 1));
    }
    return Promise.all(calls);
  });
  // Ending our side of the pipe ends the server.
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  connection.dispose();
  child.stdin.end();
  print({ case: 'exit', code: await exited, asked });
}

main().catch((error) => {
  print({ case: 'crash', failure: String(error && error.stack || error) });
  process.exit(1);
});
