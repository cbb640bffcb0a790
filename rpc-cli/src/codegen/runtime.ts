// ---- Runtime: hand-written, the same in every generated client. ----------
// No dependencies: `fetch` and `WebSocket` are the browser's (in Node.js 18+
// `fetch` is global; pass a WebSocket constructor, e.g. the `ws` package's).

/** A JSON-RPC error object; `code` discriminates the unions below. */
export interface ErrorObject<C extends number = number, D = unknown> {
  code: C;
  message: string;
  data?: D;
}

/** The errors any JSON-RPC 2.0 server may answer, whatever the method. */
export type StandardError =
  | ErrorObject<-32700> // Parse error
  | ErrorObject<-32600> // Invalid Request
  | ErrorObject<-32601> // Method not found
  | ErrorObject<-32602> // Invalid params
  | ErrorObject<-32603>; // Internal error

/** An error reply: `error` is typed by the method that was called. */
export class RpcError<E extends ErrorObject = ErrorObject> extends Error {
  constructor(readonly error: E) {
    super(`${error.message} (${error.code})`);
    this.name = "RpcError";
  }
  /** The error's code, the discriminant of `E`. */
  get code(): E["code"] {
    return this.error.code;
  }
}

/** The message never made it, or the answer was not JSON-RPC. */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransportError";
  }
}

/** A call's outcome without throwing: a batch member, or `settle`. */
export type RpcResult<T, E> = { ok: true; result: T } | { ok: false; error: E };

/** Params by position or by name. */
export type Params = readonly unknown[] | { readonly [name: string]: unknown };

/** What the generated `Methods` map says of each method. */
export interface MethodSpec {
  params: Params;
  result: unknown;
  error: ErrorObject;
  item?: unknown;
}

type Id = number | string;
interface Request {
  jsonrpc: "2.0";
  method: string;
  params?: Params;
  id?: Id;
}
interface Response {
  jsonrpc?: "2.0";
  id?: Id | null;
  result?: unknown;
  error?: ErrorObject;
  method?: string;
  params?: { subscription?: unknown; result?: unknown };
}

/** Sends messages; `listen` routes a subscription's notifications. */
export interface RpcTransport {
  /** Whether the server can push on it (subscriptions need that). */
  readonly pushes: boolean;
  /** A fresh request id. */
  nextId(): Id;
  /** Sends a request, a notification or a batch; resolves with the
   * answer (an array for a batch), `undefined` when none is due. */
  send(message: Request | Request[]): Promise<Response | Response[] | undefined>;
  /** Routes notifications of `method` for subscription `id` to `sink`
   * until the returned function is called. */
  listen(method: string, id: unknown, sink: Sink): () => void;
  /** Closes the connection: pending calls fail, subscriptions end. */
  close(): void;
}

/** Where a subscription's items go. */
export interface Sink {
  item(value: unknown): void;
  end(): void;
}

let sequence = 0;

/** HTTP POST via `fetch`: calls, notifications and batches (no subscriptions). */
export class HttpTransport implements RpcTransport {
  readonly pushes = false;
  constructor(
    readonly url: string,
    readonly options: { headers?: Record<string, string>; fetch?: typeof fetch } = {},
  ) {}
  nextId(): Id {
    return ++sequence;
  }
  async send(message: Request | Request[]): Promise<Response | Response[] | undefined> {
    const fetcher = this.options.fetch ?? fetch;
    let reply: globalThis.Response;
    try {
      reply = await fetcher(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...this.options.headers },
        body: JSON.stringify(message),
      });
    } catch (cause) {
      throw new TransportError(`POST ${this.url}: ${String(cause)}`);
    }
    const text = await reply.text();
    if (text.trim() === "") {
      if (reply.ok) return undefined;
      throw new TransportError(`POST ${this.url}: HTTP ${reply.status}`);
    }
    try {
      return JSON.parse(text) as Response | Response[];
    } catch {
      throw new TransportError(`POST ${this.url}: HTTP ${reply.status}, not JSON: ${text}`);
    }
  }
  listen(): () => void {
    throw new TransportError("subscriptions need a WebSocket: use WebSocketTransport");
  }
  close(): void {}
}

/** The part of a WebSocket this client uses (the browser's, or `ws`'s). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: "open" | "close" | "error", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

/** One WebSocket, calls multiplexed by id, subscriptions routed by id. */
export class WebSocketTransport implements RpcTransport {
  readonly pushes = true;
  private readonly socket: WebSocketLike;
  private readonly opened: Promise<void>;
  private readonly pending = new Map<Id, { resolve: (response: Response) => void; reject: (error: Error) => void }>();
  private readonly sinks = new Map<string, Sink>();
  // Items that came before their subscription was routed (kept a little).
  private readonly early: Response[] = [];
  private closed: string | undefined;

  constructor(
    readonly url: string,
    WebSocketImpl: new (url: string) => WebSocketLike = WebSocket,
  ) {
    this.socket = new WebSocketImpl(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.addEventListener("open", () => resolve());
      this.socket.addEventListener("error", () => reject(new TransportError(`${url}: cannot connect`)));
    });
    // A failed connect is reported by the calls that wait for it.
    this.opened.catch(() => {});
    this.socket.addEventListener("message", (event) => this.receive(event.data));
    this.socket.addEventListener("close", () => this.shut(`${url}: the connection closed`));
  }
  nextId(): Id {
    return ++sequence;
  }
  async send(message: Request | Request[]): Promise<Response | Response[] | undefined> {
    await this.opened;
    if (this.closed !== undefined) throw new TransportError(this.closed);
    const ids = (Array.isArray(message) ? message : [message]).flatMap((m) =>
      m.id === undefined ? [] : [m.id],
    );
    const answers = ids.map(
      (id) => new Promise<Response>((resolve, reject) => this.pending.set(id, { resolve, reject })),
    );
    this.socket.send(JSON.stringify(message));
    if (ids.length === 0) return undefined;
    const responses = await Promise.all(answers);
    return Array.isArray(message) ? responses : responses[0];
  }
  listen(method: string, id: unknown, sink: Sink): () => void {
    const key = route(method, id);
    if (this.closed !== undefined) {
      sink.end();
      return () => {};
    }
    this.sinks.set(key, sink);
    for (const early of this.early.splice(0)) this.receiveOne(early);
    return () => {
      this.sinks.delete(key);
    };
  }
  close(): void {
    this.socket.close();
    this.shut("the client closed the connection");
  }

  private receive(data: unknown): void {
    let message: Response | Response[];
    try {
      message = JSON.parse(typeof data === "string" ? data : String(data)) as Response | Response[];
    } catch {
      return; // Not JSON: nothing to route it to.
    }
    for (const one of Array.isArray(message) ? message : [message]) this.receiveOne(one);
  }
  private receiveOne(message: Response): void {
    if (message.method !== undefined) {
      const sink = this.sinks.get(route(message.method, message.params?.subscription));
      if (sink) sink.item(message.params?.result);
      else if (this.early.push(message) > 64) this.early.shift();
      return;
    }
    const id = message.id;
    const waiting = id === undefined || id === null ? undefined : this.pending.get(id);
    if (id !== undefined && id !== null && waiting) {
      this.pending.delete(id);
      waiting.resolve(message);
    } else if ((id === undefined || id === null) && message.error !== undefined) {
      // The server could not read a message at all (a parse error, or an
      // invalid batch): every call waiting gets that error.
      for (const waiting of this.pending.values()) waiting.resolve(message);
      this.pending.clear();
    }
  }
  private shut(why: string): void {
    if (this.closed !== undefined) return;
    this.closed = why;
    for (const waiting of this.pending.values()) waiting.reject(new TransportError(why));
    this.pending.clear();
    for (const sink of this.sinks.values()) sink.end();
    this.sinks.clear();
  }
}

function route(method: string, id: unknown): string {
  return `${method}\u0000${JSON.stringify(id)}`;
}

/** A subscription's items as an async iterator; it ends when unsubscribed
 * (also by `break` in `for await`) or when the connection closes. */
export class Subscription<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((next: IteratorResult<T>) => void)[] = [];
  private done = false;
  private stop: () => void = () => {};

  constructor(
    /** The id the server answered. */
    readonly id: unknown,
    private readonly unsubscribeCall: () => Promise<unknown>,
  ) {}

  /** @internal Routes the transport's notifications here. */
  attach(transport: RpcTransport, notification: string): void {
    this.stop = transport.listen(notification, this.id, {
      item: (value) => {
        const waiter = this.waiting.shift();
        if (waiter) waiter({ done: false, value: value as T });
        else this.items.push(value as T);
      },
      end: () => this.end(),
    });
  }

  /** Ends the subscription on the server and here. */
  async unsubscribe(): Promise<void> {
    if (this.done) return;
    this.end();
    await this.unsubscribeCall();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) {
          return Promise.resolve({ done: false, value: this.items.shift() as T });
        }
        if (this.done) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
      return: async () => {
        await this.unsubscribe();
        return { done: true, value: undefined };
      },
    };
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.stop();
    for (const waiter of this.waiting.splice(0)) waiter({ done: true, value: undefined });
  }
}

/** One member of a typed batch, made by `request` or `notification`. */
export interface BatchEntry<R = unknown, E = unknown> {
  readonly method: string;
  readonly params: Params;
  readonly notification: boolean;
  /** Carries the types only; never set. */
  readonly types?: { result: R; error: E };
}

/** The outcomes of a batch, member by member. */
export type BatchResults<T extends readonly BatchEntry[]> = {
  -readonly [I in keyof T]: T[I] extends BatchEntry<infer R, infer E> ? RpcResult<R, E> : never;
};

/** Positional params without their trailing `undefined`s (left out). */
function trim(params: Params): Params {
  if (!Array.isArray(params)) return params;
  let end = params.length;
  while (end > 0 && params[end - 1] === undefined) end--;
  return params.slice(0, end);
}

function settleResponse(response: Response | undefined): RpcResult<unknown, ErrorObject> {
  if (response === undefined) throw new TransportError("no answer to a call");
  if (response.error !== undefined) return { ok: false, error: response.error };
  if (!("result" in response)) {
    throw new TransportError(`not a JSON-RPC response: ${JSON.stringify(response)}`);
  }
  return { ok: true, result: response.result };
}

/** The typed client over a `Methods` map; the generated `Client` adds one
 * function per method. */
export class RpcClient<M extends { [K in keyof M]: MethodSpec }> {
  constructor(
    readonly transport: RpcTransport,
    private readonly subscriptions: { [method: string]: { notification: string; unsubscribe: string } } = {},
  ) {}

  /** Calls `method`; an error reply rejects with `RpcError<M[K]["error"]>`. */
  async call<K extends keyof M & string>(method: K, params: M[K]["params"]): Promise<M[K]["result"]> {
    const outcome = await this.settle(method, params);
    if (!outcome.ok) throw new RpcError(outcome.error);
    return outcome.result;
  }

  /** Calls `method`; an error reply resolves as `{ ok: false, error }`. */
  async settle<K extends keyof M & string>(
    method: K,
    params: M[K]["params"],
  ): Promise<RpcResult<M[K]["result"], M[K]["error"]>> {
    const id = this.transport.nextId();
    const response = await this.transport.send({ jsonrpc: "2.0", method, params: trim(params), id });
    if (Array.isArray(response)) throw new TransportError("a batch answered a single call");
    return settleResponse(response) as RpcResult<M[K]["result"], M[K]["error"]>;
  }

  /** Sends `method` as a notification (no answer). */
  async notify<K extends keyof M & string>(method: K, params: M[K]["params"]): Promise<void> {
    await this.transport.send({ jsonrpc: "2.0", method, params: trim(params) });
  }

  /** A batch member that expects an answer. */
  request<K extends keyof M & string>(
    method: K,
    params: M[K]["params"],
  ): BatchEntry<M[K]["result"], M[K]["error"]> {
    return { method, params, notification: false };
  }

  /** A batch member sent as a notification (its outcome is `undefined`). */
  notification<K extends keyof M & string>(method: K, params: M[K]["params"]): BatchEntry<undefined, never> {
    return { method, params, notification: true };
  }

  /** Sends the members as one batch; the outcomes come in their order. */
  async batch<const T extends readonly BatchEntry[]>(entries: T): Promise<BatchResults<T>> {
    const ids = entries.map((entry) => (entry.notification ? undefined : this.transport.nextId()));
    const message = entries.map((entry, i): Request => {
      const request: Request = { jsonrpc: "2.0", method: entry.method, params: trim(entry.params) };
      const id = ids[i];
      if (id !== undefined) request.id = id;
      return request;
    });
    const answer = await this.transport.send(message);
    const responses = answer === undefined ? [] : Array.isArray(answer) ? answer : [answer];
    const byId = new Map(responses.map((response) => [response.id, response]));
    // An answer without an id (the server could not read the batch at
    // all) is every member's outcome.
    const whole = responses.find((response) => response.id === null || response.id === undefined);
    return ids.map((id) =>
      id === undefined ? { ok: true, result: undefined } : settleResponse(byId.get(id) ?? whole),
    ) as BatchResults<T>;
  }

  /** Subscribes; items arrive through the returned async iterator. */
  async subscribe<K extends keyof M & string>(
    method: K,
    params: M[K]["params"],
  ): Promise<Subscription<M[K]["item"]>> {
    const names = this.subscriptions[method];
    if (names === undefined) throw new TransportError(`${method} is not a subscription`);
    // Checked first: over HTTP the server would start one nobody can end.
    if (!this.transport.pushes) {
      throw new TransportError("subscriptions need a WebSocket: use WebSocketTransport");
    }
    const id = await this.call(method, params);
    const subscription = new Subscription<M[K]["item"]>(id, () =>
      this.transport.send({ jsonrpc: "2.0", method: names.unsubscribe, params: [id], id: this.transport.nextId() }),
    );
    subscription.attach(this.transport, names.notification);
    return subscription;
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }
}
// ---- End of the runtime; what follows is generated from the document. ---
