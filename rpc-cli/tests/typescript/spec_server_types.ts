// Type checks of the client generated for spec_server, compiled with
// `tsc --strict --noEmit` next to its client.ts by tests/codegen_typescript.rs.
// Every `@ts-expect-error` must be needed: the test also swaps the line
// marked WRONG_PARAM for a correct call and expects tsc to fail (TS2578).
import { Client, httpClient, RpcError, RpcResult, SubtractError } from "./client";

const client: Client = httpClient("http://127.0.0.1:1/");

export async function wrongParam(): Promise<void> {
  // @ts-expect-error: subtract takes numbers, not strings
  await client.subtract("42", 23); // WRONG_PARAM
}

export async function typed(): Promise<number> {
  const difference: number = await client.subtract(42, 23);
  const named: number = await client.call("subtract", { minuend: 42, subtrahend: 23 });
  const data: [string, number] = await client.get_data();
  await client.notify_hello(5);
  const [first, hello, second] = await client.batch([
    client.request("subtract", [1, 2]),
    client.notification("notify_hello", [1]),
    client.request("get_data", []),
  ]);
  const one: number = first.ok ? first.result : 0;
  const none: undefined = hello.ok ? hello.result : undefined;
  const pair: [string, number] | undefined = second.ok ? second.result : undefined;
  const outcome: RpcResult<number, SubtractError> = await client.settle("subtract", [1, 2]);
  if (!outcome.ok) {
    // The declared code and the standard ones, as a discriminated union.
    const code: 1000 | -32700 | -32600 | -32601 | -32602 | -32603 = outcome.error.code;
    return code;
  }
  try {
    await client.subtract(1, 2);
  } catch (error) {
    if (error instanceof RpcError) return error.code;
  }
  const subscription = await client.subscribe_count(1, 10);
  for await (const item of subscription) {
    if (item !== undefined) break;
  }
  await subscription.unsubscribe();

  // @ts-expect-error: named params are checked too
  await client.call("subtract", { minuend: 42, subtrahend: "23" });
  // @ts-expect-error: a missing param
  await client.subtract(42);
  // @ts-expect-error: subtract answers a number
  const text: string = await client.subtract(1, 2);
  // @ts-expect-error: 1001 is no code subtract declares
  const undeclared: SubtractError["code"] = 1001;
  // @ts-expect-error: no such method
  await client.call("subtrakt", [1, 2]);
  // @ts-expect-error: a batch member's params are checked
  client.request("subtract", ["1", 2]);
  return difference + named + data[1] + one + (none ?? 0) + (pair?.[1] ?? 0) + text.length + undeclared;
}
