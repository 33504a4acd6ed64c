/**
 * The request gate: what the server decides about an RPC from its headers alone, before any byte
 * of its body is read, decompressed or decoded — on every protocol and every path (the gRPC
 * lanes, connect over HTTP/2 and over HTTP/1.1).
 *
 * - **Who may call** (`precheck`): authentication (the token) and protected mode. A refused
 *   caller never makes the server read, inflate or parse a byte of its body.
 * - **Deadlines**: a bad or oversized `grpc-timeout` / `connect-timeout-ms` is refused here with
 *   connect's own error (connect would arm a timer with it first: ≥ 2^31 ms printed Node's
 *   TimeoutOverflowWarning per request).
 * - **The body must arrive in time**: for RPCs with one request message (unary, server
 *   streaming), within the client's deadline or `requestTimeoutMs`, whichever is shorter; else
 *   DEADLINE_EXCEEDED and the stream is reset (connect only looks at the deadline once the body
 *   is in, so a dripped body held the call, and the deadline, forever).
 *
 * Other requests (unknown paths, CORS preflights, the console, /metrics) pass untouched.
 */
import * as http from "node:http";
import type * as http2 from "node:http2";
import type * as net from "node:net";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import { answerHttp1, answerStream, type WireProtocol, wireProtocol } from "./early-reply.js";
import { type RequestBytesBudget, trackRequestBody } from "./request-bytes.js";
import { remoteAddress } from "./transport/grpc-fast-lane.js";

/** Reads one request header (lower-case name). */
export type HeaderReader = (name: string) => string | undefined;

/** A caller the precheck authenticated: handed on to the call (see {@link RequestGate.callerOf}). */
export interface Admitted {
  readonly caller: object;
}

/** What a request's body arrives on: the HTTP/2 stream, or the HTTP/1.1 request. */
export type RequestSource = http2.ServerHttp2Stream | http.IncomingMessage;

/** Options of {@link createRequestGate}. */
export interface RequestGateOptions {
  /**
   * Decides from the headers whether the caller may call `method` at all: an error (UNAUTHENTICATED,
   * PERMISSION_DENIED…) is answered at once, without reading the body. An {@link Admitted} caller
   * (the token was checked) is kept for the call, so the token is checked once per request.
   * `header` reads this request's headers during the call only (one reader serves every request).
   */
  readonly precheck?: (
    method: DescMethod,
    header: HeaderReader,
    remoteAddress: string | undefined,
  ) => ConnectError | Admitted | undefined;
  /** The largest deadline a client may ask for (connect's `maxTimeoutMs`, as connect reads it). */
  readonly maxTimeoutMs: number;
  /** A one-message request's body must have arrived within this long (0: only the client's deadline). */
  readonly requestTimeoutMs: number;
  /**
   * Request bytes in flight, all clients (`--max-request-bytes-total`): every RPC body is counted
   * as it arrives; the request holding the most past the cap is answered RESOURCE_EXHAUSTED.
   */
  readonly requestBytes?: RequestBytesBudget;
  /**
   * Whether the body of an HTTP/2 request is counted against `requestBytes` by its own reader (a
   * unary lane that will take it reads it with a `BodyHold`): the gate then wraps nothing on it.
   */
  readonly countsOwnStreamBody?: (headers: http2.IncomingHttpHeaders) => boolean;
  /** The same for an HTTP/1.1 request. */
  readonly countsOwnRequestBody?: (req: http.IncomingMessage) => boolean;
  /** Told each request refused here (metrics and the rate-limited log). */
  readonly onRefused?: (kind: string, address: string | undefined, detail: string) => void;
}

/** The gate (see the module comment). */
export interface RequestGate {
  /** Adds the RPC methods the server serves (by request path: `/package.Service/Method`). */
  addMethods(methods: Iterable<readonly [path: string, method: DescMethod]>): void;
  /**
   * Gates an HTTP/2 stream: true when it was answered here (do not serve it), false when it may be
   * served (the body deadline is then armed on it).
   */
  handleStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** Gates an HTTP/1.1 request likewise: true when it was answered here. */
  handleHttp1(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /**
   * The caller the precheck admitted for this request (its HTTP/2 stream or HTTP/1.1 request),
   * or undefined (a public RPC, no tokens, or a request the gate did not see). Only the gate
   * records it, keyed by the request object itself: nothing a client sends can set it.
   */
  callerOf(source: RequestSource): object | undefined;
}

/** The methods Node's HTTP/1.1 parser (and Fastify's router) know. */
const KNOWN_METHODS = new Set(http.METHODS);

/** The largest timer Node arms without a TimeoutOverflowWarning (and then firing at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const kBodyTimer: unique symbol = Symbol("memorabilia.bodyTimer");
type TimedBody = RequestSource & { [kBodyTimer]: ReturnType<typeof setTimeout> | undefined };

/**
 * The body arrived (or the request closed): its deadline no longer applies. The timer (and the
 * refusal it would have answered) is dropped from the request too: Node keeps a closed HTTP/2
 * stream until a full GC, and whatever of the call it still points to is promoted with it.
 */
function clearBodyTimer(this: TimedBody): void {
  const timer = this[kBodyTimer];
  if (timer === undefined) return;
  clearTimeout(timer);
  this[kBodyTimer] = undefined;
}

/**
 * The body deadlines of requests whose body had not arrived with their headers. A timer per
 * request (a `Timeout`, its closure and two listeners, ~1.7 KB allocated per unary call: trace-gc,
 * issue 14) was armed for nearly every HTTP/2 request — the body comes in a read after the
 * headers' — and cleared a moment later. Instead each request is noted (parallel arrays, no object
 * per request) and looked at once, at the check phase of the same event-loop turn: a request whose
 * body has arrived by then (all of them, measured on the bench's h2c load) is let go; the others
 * get their timer then, for what is left of their deadline, counted from their headers.
 */
class BodyDeadlines {
  readonly #sources: RequestSource[] = [];
  readonly #with: (http2.IncomingHttpHeaders | http.ServerResponse)[] = [];
  readonly #ms: number[] = [];
  readonly #since: number[] = [];
  #scheduled = false;

  constructor(
    readonly armStream: (
      stream: http2.ServerHttp2Stream,
      headers: http2.IncomingHttpHeaders,
      ms: number,
      delay: number,
    ) => void,
    readonly armHttp1: (req: http.IncomingMessage, res: http.ServerResponse, ms: number, delay: number) => void,
  ) {}

  /** Notes a request (with its HTTP/2 headers, or its HTTP/1.1 response) whose body must arrive within `ms`. */
  add(source: RequestSource, other: http2.IncomingHttpHeaders | http.ServerResponse, ms: number): void {
    this.#sources.push(source);
    this.#with.push(other);
    this.#ms.push(ms);
    this.#since.push(performance.now());
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(checkDeadlines, this);
    }
  }

  /** Arms the deadline of every noted request still without its body; forgets the rest. */
  check(): void {
    this.#scheduled = false;
    const sources = this.#sources;
    const now = performance.now();
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i] as RequestSource;
      const ms = this.#ms[i] as number;
      const delay = Math.max(1, ms - (now - (this.#since[i] as number)));
      if (source instanceof http.IncomingMessage) {
        if (!source.complete && !source.destroyed)
          this.armHttp1(source, this.#with[i] as http.ServerResponse, ms, delay);
      } else if (!(source.destroyed || source.closed || source.readableEnded || source.state.remoteClose))
        this.armStream(source, this.#with[i] as http2.IncomingHttpHeaders, ms, delay);
    }
    sources.length = 0;
    this.#with.length = 0;
    this.#ms.length = 0;
    this.#since.length = 0;
  }
}

/** A request without a timeout header: no deadline, no error (one object for every such request). */
const NO_TIMEOUT: { readonly timeoutMs?: number; readonly error?: ConnectError } = Object.freeze({});

function checkDeadlines(deadlines: BodyDeadlines): void {
  deadlines.check();
}

/** Creates the gate; add the served methods before traffic arrives. */

export function createRequestGate(options: RequestGateOptions): RequestGate {
  const methods = new Map<string, DescMethod>();
  const callers = new WeakMap<RequestSource, object>();

  /**
   * The headers `judge` reads through {@link readHeader}: set around each (synchronous) judgement,
   * so no reader closure is made per request.
   */
  let judging: http.IncomingHttpHeaders | http2.IncomingHttpHeaders | undefined;
  const readHeader: HeaderReader = (name) => {
    const v = judging?.[name];
    return v === undefined ? undefined : typeof v === "string" ? v : v.join(", ");
  };
  /** `judge` on `headers`, read through the one shared reader. */
  const judgeHeaders = (
    method: DescMethod,
    protocol: WireProtocol,
    headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders,
    address: string | undefined,
  ): ReturnType<typeof judge> => {
    judging = headers;
    try {
      return judge(method, protocol, readHeader, address);
    } finally {
      judging = undefined;
    }
  };

  /** The refusal of a request from its headers, and its deadline for the body. */
  const judge = (
    method: DescMethod,
    protocol: WireProtocol,
    header: HeaderReader,
    address: string | undefined,
  ): { error: ConnectError; kind: string } | { bodyMs: number; single: boolean; caller?: object } => {
    const verdict = options.precheck?.(method, header, address);
    if (verdict instanceof ConnectError)
      return { error: verdict, kind: `refused_${Code[verdict.code] ?? verdict.code}`.toLowerCase() };
    const caller = verdict?.caller;
    const grpc = protocol === "grpc" || protocol === "grpc-web";
    const raw = grpc ? header("grpc-timeout") : header("connect-timeout-ms");
    const timeout =
      raw === undefined
        ? NO_TIMEOUT
        : grpc
          ? parseGrpcTimeout(raw, options.maxTimeoutMs)
          : parseConnectTimeout(raw, options.maxTimeoutMs);
    if (timeout.error) return { error: timeout.error, kind: "bad_timeout" };
    if (timeout.timeoutMs !== undefined && timeout.timeoutMs > MAX_TIMER_MS)
      return {
        error: new ConnectError(`timeout ${timeout.timeoutMs}ms must be < ${MAX_TIMER_MS}`, Code.InvalidArgument),
        kind: "bad_timeout",
      };
    const single = method.methodKind === "unary" || method.methodKind === "server_streaming";
    if (!single) return { bodyMs: 0, single, caller };
    const deadline = timeout.timeoutMs ?? 0;
    const limit = options.requestTimeoutMs;
    return { bodyMs: deadline > 0 && (limit === 0 || deadline < limit) ? deadline : limit, single, caller };
  };

  const bodyTimeoutError = (ms: number): ConnectError =>
    new ConnectError(`the request body did not arrive within ${ms} ms`, Code.DeadlineExceeded);

  const handleStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean => {
    const httpMethod = headers[":method"];
    // HTTP/1.1's parser refuses unknown methods; over HTTP/2 they reached Fastify, which logged two
    // warnings (its 404 handler "did not catch this", then its whole route tree) per request.
    if (httpMethod === undefined || !KNOWN_METHODS.has(httpMethod)) {
      options.onRefused?.(
        "unknown_http_method",
        stream.session?.socket?.remoteAddress,
        String(httpMethod).slice(0, 32),
      );
      stream.on("error", () => {});
      stream.respond({ ":status": 405 }, { endStream: true });
      return true;
    }
    if (httpMethod !== "POST" && httpMethod !== "GET") return false;
    const path = headers[":path"] as string;
    const method = methods.get(path.includes("?") ? path.slice(0, path.indexOf("?")) : path);
    if (method === undefined) return false;
    const contentType = headers["content-type"];
    const protocol = wireProtocol(contentType);
    // Read once per session: `session.socket` is a Proxy, its address a getter behind it (every
    // HTTP/2 call paid both here).
    const address = remoteAddress(stream);
    const verdict = judgeHeaders(method, protocol, headers, address);
    if ("error" in verdict) {
      options.onRefused?.(verdict.kind, address, path);
      answerStream(stream, protocol, contentType, verdict.error);
      return true;
    }
    if (verdict.caller !== undefined) callers.set(stream, verdict.caller);
    const budget = options.requestBytes;
    if (
      budget !== undefined &&
      httpMethod === "POST" &&
      !stream.readableEnded &&
      options.countsOwnStreamBody?.(headers) !== true &&
      // Read last: Node builds an object per `state` read.
      !stream.state.remoteClose
    )
      trackRequestBody(stream, {
        budget,
        shape: verdict.single || protocol === "connect-unary" ? "one-message" : "enveloped-stream",
        answerStarted: () => stream.headersSent,
        refuse: (message) => {
          options.onRefused?.("request_bytes_total", address, path);
          answerStream(stream, protocol, contentType, new ConnectError(message, Code.ResourceExhausted));
        },
      });
    // GET (Connect) has no body to wait for; a request that came with END_STREAM is let go at the check.
    if (verdict.bodyMs > 0 && httpMethod === "POST" && !stream.readableEnded)
      deadlines.add(stream, headers, verdict.bodyMs);
    return false;
  };

  /** Arms the body deadline of an HTTP/2 request whose body was still missing at the check (`delay` ms left of `ms`). */
  const armStream = (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    ms: number,
    delay: number,
  ) => {
    const contentType = headers["content-type"];
    const timer = setTimeout(() => {
      if (stream.state.remoteClose || stream.destroyed) return;
      options.onRefused?.("body_timeout", remoteAddress(stream), headers[":path"] as string);
      answerStream(stream, wireProtocol(contentType), contentType, bodyTimeoutError(ms));
    }, delay);
    timer.unref();
    // Shared listeners (`on`: each event comes once) finding the timer on the stream, rather
    // than a closure and two `once` wrappers per request.
    (stream as TimedBody)[kBodyTimer] = timer;
    stream.on("end", clearBodyTimer);
    stream.on("close", clearBodyTimer);
  };

  /** Arms the body deadline of an HTTP/1.1 request whose body was still missing at the check. */
  const armHttp1 = (req: http.IncomingMessage, res: http.ServerResponse, ms: number, delay: number) => {
    const contentType = req.headers["content-type"];
    const timer = setTimeout(() => {
      if (req.complete) return;
      options.onRefused?.("body_timeout", req.socket?.remoteAddress, req.url ?? "");
      answerHttp1(req, res, wireProtocol(contentType), contentType, bodyTimeoutError(ms));
    }, delay);
    timer.unref();
    (req as TimedBody)[kBodyTimer] = timer;
    req.on("end", clearBodyTimer);
    req.on("close", clearBodyTimer);
  };

  const deadlines = new BodyDeadlines(armStream, armHttp1);

  const handleHttp1 = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.method !== "POST" && req.method !== "GET") return false;
    const url = req.url ?? "";
    const method = methods.get(url.includes("?") ? url.slice(0, url.indexOf("?")) : url);
    if (method === undefined) return false;
    const contentType = req.headers["content-type"];
    const protocol = wireProtocol(contentType);
    const address = req.socket.remoteAddress;
    const verdict = judgeHeaders(method, protocol, req.headers, address);
    if ("error" in verdict) {
      options.onRefused?.(verdict.kind, address, url);
      answerHttp1(req, res, protocol, contentType, verdict.error);
      return true;
    }
    if (verdict.caller !== undefined) callers.set(req, verdict.caller);
    const budget = options.requestBytes;
    if (budget !== undefined && req.method === "POST" && !req.complete && options.countsOwnRequestBody?.(req) !== true)
      trackRequestBody(req, {
        budget,
        shape: verdict.single || protocol === "connect-unary" ? "one-message" : "enveloped-stream",
        answerStarted: () => res.headersSent,
        refuse: (message) => {
          options.onRefused?.("request_bytes_total", address, url);
          answerHttp1(req, res, protocol, contentType, new ConnectError(message, Code.ResourceExhausted));
        },
      });
    if (req.method === "POST") lingerOnRefusedBody(req, res);
    if (verdict.bodyMs > 0 && req.method === "POST" && !req.complete) deadlines.add(req, res, verdict.bodyMs);
    return false;
  };

  return {
    addMethods(list) {
      for (const [path, method] of list) methods.set(path, method);
    },
    handleStream,
    handleHttp1,
    callerOf: (source) => callers.get(source),
  };
}

/**
 * When connect refuses a body it is still receiving (past the size limit), it stops reading: it
 * destroys the request, or Node closes the connection right after the answer (Connection: close).
 * Either way the socket was destroyed with the client's bytes unread, and the reset could reach
 * the client before it had read the answer (it lost the RESOURCE_EXHAUSTED under load). Instead,
 * as servers do with a lingering close, the answer goes out first, the rest of the body is
 * discarded as it arrives (never buffered), and the connection closes when the client stops
 * sending, or 2 s later.
 */
function lingerOnRefusedBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  const r = req as LingerRequest;
  const socket = req.socket as LingerSocket;
  r[kLingerResponse] = res;
  r[kLingerSocket] = socket;
  r.destroy = lingeringRequestDestroy;
  // One wrapper per connection, installed once, finding the request it guards on the socket: a
  // wrapper (and a bound copy of the socket's destroy) per request re-bound the previous
  // request's bound copy, so a keep-alive connection carried a chain of one bound function per
  // request it had served.
  if (socket[kSocketDestroy] === undefined) {
    socket[kSocketDestroy] = socket.destroy;
    socket.destroy = lingeringSocketDestroy;
  }
  socket[kLingerRequest] = r;
  req.on("end", onLingerRequestEnd);
}

const kLingerResponse: unique symbol = Symbol("memorabilia.lingerResponse");
const kLingerRequest: unique symbol = Symbol("memorabilia.lingerRequest");
const kSocketDestroy: unique symbol = Symbol("memorabilia.socketDestroy");
const kLingerSocket: unique symbol = Symbol("memorabilia.lingerSocket");
// The socket is kept on the request: Node sets `req.socket` to null when it detaches the request.
type LingerRequest = http.IncomingMessage & {
  [kLingerResponse]?: http.ServerResponse | undefined;
  [kLingerSocket]?: net.Socket | undefined;
};
type LingerSocket = net.Socket & {
  [kLingerRequest]?: LingerRequest | undefined;
  [kSocketDestroy]?: net.Socket["destroy"];
};

// Linger while the client is still sending and an answer went out (or may still): a response
// that finished is `destroyed` too (Node marks it so on the next tick, before the socket's own
// end completes), so only a response destroyed without finishing (no answer to protect) does not.
function lingering(req: LingerRequest): boolean {
  const res = req[kLingerResponse];
  const socket = req[kLingerSocket];
  return (
    res !== undefined &&
    socket !== undefined &&
    !req.complete &&
    !socket.destroyed &&
    (res.writableFinished || !res.destroyed)
  );
}

/** The request's `destroy` while it may linger: keep the socket for the answer, discard the rest of the body. */
function lingeringRequestDestroy(this: LingerRequest, error?: Error): http.IncomingMessage {
  this.destroy = http.IncomingMessage.prototype.destroy;
  if (!lingering(this) || this[kLingerResponse]?.writableFinished) return this.destroy(error);
  this.resume();
  return this;
}

/** The socket's `destroy`: lingers once for the request it guards, else destroys. */
function lingeringSocketDestroy(this: LingerSocket, error?: Error): net.Socket {
  const destroy = this[kSocketDestroy] as net.Socket["destroy"];
  const req = this[kLingerRequest];
  this[kLingerRequest] = undefined;
  // destroy(null) is a destroy without an error (Readable's iterator cleanup and
  // IncomingMessage's _destroy pass null): it lingers like destroy() does.
  if (req === undefined || (error !== undefined && error !== null) || !lingering(req)) return destroy.call(this, error);
  req.resume();
  this.resume();
  const cut = setTimeout(() => destroy.call(this), 2000);
  cut.unref();
  this.once("end", () => {
    clearTimeout(cut);
    destroy.call(this);
  });
  return this;
}

/** The request's body ended: its connection no longer lingers for it. */
function onLingerRequestEnd(this: LingerRequest): void {
  const socket = this[kLingerSocket] as LingerSocket | undefined;
  if (socket !== undefined && socket[kLingerRequest] === this) socket[kLingerRequest] = undefined;
  this[kLingerResponse] = undefined;
  this[kLingerSocket] = undefined;
}
