// vscode-jsonrpc as a server on this process's stdin/stdout with
// Content-Length framing, for our StreamClient to spawn: it serves the
// specification's `subtract` (positional or named) and `sum`, `double`
// (-32602 unless given a number), `ask_back` (which calls the client's
// `ask` and returns its answer), `notified` (the notifications received so
// far), and exits when its stdin ends. Logs go to stderr.
'use strict';

const rpc = require('vscode-jsonrpc/node');

const connection = rpc.createMessageConnection(
  new rpc.StreamMessageReader(process.stdin),
  new rpc.StreamMessageWriter(process.stdout),
);

// Handlers get positional params spread, named params as one object, and
// a cancellation token last.
function params(args) {
  return args.slice(0, -1);
}

connection.onRequest('subtract', (...args) => {
  const given = params(args);
  if (given.length === 1 && typeof given[0] === 'object' && given[0] !== null) {
    return given[0].minuend - given[0].subtrahend;
  }
  return given[0] - given[1];
});
connection.onRequest('sum', (...args) => params(args).reduce((a, b) => a + b, 0));
connection.onRequest('double', (x) => {
  if (typeof x !== 'number') {
    throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, 'x must be a number');
  }
  return 2 * x;
});
connection.onRequest('ask_back', async (question) => {
  const answer = await connection.sendRequest('ask', question);
  return `the client said: ${answer}`;
});
const notifications = [];
connection.onNotification('update', (...args) => {
  notifications.push(['update', args]);
});
connection.onRequest('notified', () => notifications);
connection.onClose(() => process.exit(0));
process.stdin.on('end', () => process.exit(0));
connection.listen();
process.stderr.write('vscode_server: listening on stdio\n');
