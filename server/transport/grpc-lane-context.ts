/**
 * The HandlerContext of one fast-lane call: the fields and signal semantics of connect's
 * `createHandlerContext`, at a fraction of the cost.
 *
 * connect builds it with object spreads (`{...init, ...}`: on Node 20 an object literal that
 * spreads and then adds a dozen properties costs ~9 µs), a deadline AbortController and a linked
 * one listening to the deadline, request and shutdown signals, and three `Headers` copies. Here it
 * is a class (one fixed shape), a timer only when there is a deadline, shutdown handled by the
 * lane's set of live calls, and request headers copied only if read.
 *
 * What most calls never touch is made on first read: the AbortController (a handler that runs a
 * synchronous command only asks "aborted yet?" through {@link kPeekAborted}, and creating, then
 * aborting, a signal and dispatching its Event cost ~10 % of a call), and the response `Headers`
 * (the lane writes the constant defaults straight into Node's header objects when nobody built
 * them), and the request `Headers` (read only by auth and by handlers that look at headers). A signal created after the call was aborted is created aborted, with the same reason.
 */
import type * as http2 from "node:http2";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextKey,
  type ContextValues,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";
import { kPeekAborted } from "../../shared/api/invoke.js";
import type { BodyHold } from "../request-bytes.js";
import { NodeRequestHeaders } from "./node-request-headers.js";

const noTimeout = (): undefined => undefined;

/** As connect's linked controller takes an aborted signal's reason. */
export function abortReason(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error("This operation was aborted");
  e.name = "AbortError";
  return e;
}

const deadlineExceeded = () => new ConnectError("the operation timed out", Code.DeadlineExceeded);

/**
 * connect's `ContextValues` as a class: `createContextValues()` returns an object literal with
 * three methods, i.e. four allocations per call; this is one. Same behaviour: values keyed by the
 * key's symbol, the key's default when unset.
 */
export class LaneContextValues implements ContextValues {
  get<T>(key: ContextKey<T>): T {
    return key.id in this ? ((this as unknown as Record<symbol, T>)[key.id] as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    (this as unknown as Record<symbol, T>)[key.id] = value;
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    delete (this as unknown as Record<symbol, unknown>)[key.id];
    return this;
  }
}

/** The wire protocol of a lane call: its name, response content type, and whether trailers start with grpc-status 0. */
export interface LaneProtocol {
  readonly name: "grpc" | "grpc-web" | "connect";
  readonly contentType: string;
  readonly grpcStatusTrailer: boolean;
}

/** gRPC with binary messages (the gRPC lanes). */
export const GRPC_PROTOCOL: LaneProtocol = {
  name: "grpc",
  contentType: "application/grpc+proto",
  grpcStatusTrailer: true,
};

/** A protocol's untouched HEADERS and trailers, frozen, made once per protocol record. */
interface ProtocolDefaults {
  readonly headers: Readonly<http2.OutgoingHttpHeaders>;
  readonly trailers: Readonly<http2.OutgoingHttpHeaders>;
}
const protocolDefaults = new WeakMap<LaneProtocol, ProtocolDefaults>();
let lastProtocol: LaneProtocol | undefined;
let lastDefaults: ProtocolDefaults | undefined;

/**
 * The untouched HEADERS and trailers of a protocol. Shared by every call rather than a literal per
 * call: the same keys in the same order, so the bytes on the wire are unchanged (a fresh 2-key
 * object per call for each was ~2 allocations of the ~5.5 KB a unary call allocates above the floor).
 */
function defaultsOf(protocol: LaneProtocol): ProtocolDefaults {
  // The last protocol asked for first: one comparison on a lane's hot path, no WeakMap lookup.
  if (protocol === lastProtocol) return lastDefaults as ProtocolDefaults;
  let d = protocolDefaults.get(protocol);
  if (d === undefined) {
    d = Object.freeze({
      headers: Object.freeze({ ":status": 200, "content-type": protocol.contentType }),
      trailers: Object.freeze(protocol.grpcStatusTrailer ? { "grpc-status": "0" } : {}),
    });
    protocolDefaults.set(protocol, d);
  }
  lastProtocol = protocol;
  lastDefaults = d;
  return d;
}

/** The lane's set of live calls, as a context uses it. */
interface LiveSet {
  add(call: { abort(reason?: unknown): void }): unknown;
  delete(call: { abort(reason?: unknown): void }): unknown;
}

/** What a call's context is made from. */
export interface LaneContextInit {
  readonly spec: { readonly kind: "unary"; readonly method: DescMethod; readonly impl: unknown };
  readonly service: DescService;
  readonly headers: http2.IncomingHttpHeaders;
  /** From grpc-timeout (already capped); undefined without a deadline. */
  readonly timeoutMs: number | undefined;
  readonly shutdownSignal: AbortSignal | undefined;
  readonly contextValues: ContextValues | undefined;
  /** The lane's live calls (`LiveCalls`, or a `Set`): the context is in it until aborted (the shutdown aborts them all). */
  readonly live: LiveSet;
  /** @default gRPC */
  readonly protocol?: LaneProtocol;
  /** @default `http://<:authority><:path>` */
  readonly url?: string;
}

/**
 * One call's context. Its signal aborts at the deadline (DEADLINE_EXCEEDED), when the shutdown
 * signal fires (through the lane's live set), and when {@link LaneContext.abort} is called (client
 * reset, or the end of the call).
 */
export class LaneContext implements HandlerContext {
  readonly kind: "unary";
  readonly method: DescMethod;
  readonly impl: unknown;
  readonly service: DescService;
  readonly requestMethod = "POST";
  readonly protocolName: string;
  readonly timeoutMs: () => number | undefined;
  readonly shutdownSignal: AbortSignal | undefined;
  readonly url: string;
  readonly contextValues: ContextValues | undefined;
  readonly values: ContextValues;
  /** Set by the lane once the handler is done and the answer is being written (a later close is no abort). */
  finished = false;
  /** The trailers the lane sends once the reply's DATA is out. */
  trailersToSend: Readonly<http2.OutgoingHttpHeaders> | undefined = undefined;
  #headers: http2.IncomingHttpHeaders;
  #requestHeader: Headers | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  #aborted = false;
  #reason: unknown = undefined;
  #responseHeader: Headers | undefined = undefined;
  #responseTrailer: Headers | undefined = undefined;
  #encoding: string | undefined = undefined;
  #hold: BodyHold | undefined = undefined;
  readonly #protocol: LaneProtocol;
  readonly #live: LiveSet;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(init: LaneContextInit) {
    this.kind = init.spec.kind;
    this.method = init.spec.method;
    this.impl = init.spec.impl;
    this.service = init.service;
    this.shutdownSignal = init.shutdownSignal;
    this.#headers = init.headers;
    this.#protocol = init.protocol ?? GRPC_PROTOCOL;
    this.protocolName = this.#protocol.name;
    this.url = init.url ?? `http://${init.headers[":authority"]}${init.headers[":path"]}`;
    this.contextValues = init.contextValues;
    this.values = init.contextValues ?? createContextValues();
    this.#live = init.live;
    const timeoutMs = init.timeoutMs;
    if (timeoutMs === undefined) {
      this.timeoutMs = noTimeout;
      this.#timer = undefined;
    } else {
      const deadline = Date.now() + timeoutMs;
      this.timeoutMs = () => deadline - Date.now();
      if (timeoutMs <= 0) this.#abort(deadlineExceeded());
      this.#timer = timeoutMs <= 0 ? undefined : setTimeout(() => this.#abort(deadlineExceeded()), timeoutMs);
    }
    const shutdown = init.shutdownSignal;
    if (shutdown?.aborted && !this.#aborted) this.#abort(abortReason(shutdown));
    if (!this.#aborted) init.live.add(this);
  }

  /** The request headers as a `Headers` (made on first read: most calls never read them). */
  get requestHeader(): Headers {
    if (this.#requestHeader === undefined) this.#requestHeader = new NodeRequestHeaders(this.#headers);
    return this.#requestHeader;
  }

  /** The call's signal, created on first read (aborted already, with the reason, if the call was). */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      if (this.#aborted) controller.abort(this.#reason);
      this.#controller = controller;
    }
    return controller.signal;
  }

  /** Whether the signal has aborted, without creating it (see shared/api/invoke.ts). */
  [kPeekAborted](): boolean {
    return this.#aborted;
  }

  /** The response headers, created on first read with the defaults (content-type, grpc-encoding). */
  get responseHeader(): Headers {
    let h = this.#responseHeader;
    if (h === undefined) {
      h = new Headers();
      h.set("content-type", this.#protocol.contentType);
      if (this.#encoding !== undefined) h.set("grpc-encoding", this.#encoding);
      this.#responseHeader = h;
    }
    return h;
  }

  /** The response trailers, created on first read (with `grpc-status: 0` for gRPC and gRPC-Web, as connect's). */
  get responseTrailer(): Headers {
    let h = this.#responseTrailer;
    if (h === undefined) {
      h = new Headers();
      if (this.#protocol.grpcStatusTrailer) h.set("grpc-status", "0");
      this.#responseTrailer = h;
    }
    return h;
  }

  /** Sets the response's `grpc-encoding` header (without building the Headers if nobody has). */
  setResponseEncoding(name: string): void {
    if (this.#responseHeader === undefined) this.#encoding = name;
    else this.#responseHeader.set("grpc-encoding", name);
  }

  /** Whether `h` is this call's response header object (without creating it). */
  isResponseHeader(h: Headers): boolean {
    return h === this.#responseHeader;
  }

  /** Whether anything built the response headers or trailers (else the defaults are all there is). */
  hasCustomMetadata(): boolean {
    return this.#responseHeader !== undefined || this.#responseTrailer !== undefined;
  }

  /** Whether `h` is this call's response trailer object (without creating it). */
  isResponseTrailer(h: Headers): boolean {
    return h === this.#responseTrailer;
  }

  /**
   * The HEADERS to send, as connect-node writes them: `:status` then the response headers in
   * `Headers` iteration order (sorted names; the defaults content-type < grpc-encoding already are).
   * Untouched headers without an encoding (most calls) are one frozen object per protocol, shared by
   * every call: Node copies what `respond` is given, so nothing writes to it; a caller that adds
   * headers (CORS) copies it first.
   */
  outgoingHeaders(): Readonly<http2.OutgoingHttpHeaders> {
    const h = this.#responseHeader;
    if (h === undefined) {
      return this.#encoding === undefined
        ? defaultsOf(this.#protocol).headers
        : { ":status": 200, "content-type": this.#protocol.contentType, "grpc-encoding": this.#encoding };
    }
    const out: http2.OutgoingHttpHeaders = { ":status": 200 };
    h.forEach((v, k) => {
      out[k] = v;
    });
    return out;
  }

  /**
   * The response headers as an HTTP/1.1 `writeHead` (or a gRPC-Web/Connect answer) takes them:
   * {@link LaneContext.outgoingHeaders} without `:status`, made without it rather than deleted
   * from it (a `delete` turns the object into a slow dictionary for every reader after).
   */
  responseHeaders(): Record<string, string | number> {
    const h = this.#responseHeader;
    if (h === undefined) {
      return this.#encoding === undefined
        ? { "content-type": this.#protocol.contentType }
        : { "content-type": this.#protocol.contentType, "grpc-encoding": this.#encoding };
    }
    const out: Record<string, string | number> = {};
    h.forEach((v, k) => {
      out[k] = v;
    });
    return out;
  }

  /** The trailers to send, in `Headers` iteration order (untouched: one frozen object per protocol, read only). */
  outgoingTrailers(): Readonly<http2.OutgoingHttpHeaders> {
    const h = this.#responseTrailer;
    if (h === undefined) return defaultsOf(this.#protocol).trailers;
    const out: http2.OutgoingHttpHeaders = {};
    h.forEach((v, k) => {
      out[k] = v;
    });
    return out;
  }

  /**
   * The handler context connect's `mergeRequest` makes from this context and a request: this
   * context's fields with the request's service, header, signal and values. (Spreading the
   * context, as `mergeRequest` does, would leave out the lazily made signal and response headers.)
   */
  merge(req: {
    readonly service: DescService;
    readonly header?: Headers;
    readonly signal?: AbortSignal;
    readonly contextValues: ContextValues;
  }): HandlerContext {
    return {
      kind: this.kind,
      method: this.method,
      impl: this.impl,
      requestMethod: this.requestMethod,
      protocolName: this.protocolName,
      timeoutMs: this.timeoutMs,
      shutdownSignal: this.shutdownSignal,
      url: this.url,
      responseHeader: this.responseHeader,
      responseTrailer: this.responseTrailer,
      contextValues: this.contextValues,
      service: req.service,
      // A copy made by spreading a request whose `header` and `signal` are getters (the fast
      // lane's) has neither: they are this call's.
      requestHeader: req.header ?? this.requestHeader,
      signal: req.signal ?? this.signal,
      values: req.contextValues,
    } as HandlerContext;
  }

  /** Counts the call's request body against the server's budget until the call ends ({@link abort}); returns `hold`. */
  holdBody(hold: BodyHold): BodyHold {
    this.#hold = hold;
    return hold;
  }

  /**
   * Aborts the signal with `reason` (unless already aborted), stops the deadline timer, leaves the
   * live set, releases the request body's hold (the answer starts, or the call is over).
   */
  abort(reason?: unknown): void {
    clearTimeout(this.#timer);
    const hold = this.#hold;
    if (hold !== undefined) {
      this.#hold = undefined;
      hold.release();
    }
    this.#live.delete(this);
    this.#abort(reason);
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
