/**
 * A fast lane for unary gRPC calls over HTTP/2.
 *
 * Through Fastify + connect-fastify, one unary gRPC call costs ~0.3 ms of server CPU: the compat
 * request/response objects, Fastify's request and reply, connect's async-iterable pipeline (a
 * dozen async generators per call), header copies, and a DOMException built when the call's
 * signal is aborted at the end. A bare `node:http2` reply costs ~0.02 ms.
 *
 * This lane takes a unary call straight off the HTTP/2 stream and runs it with connect's own
 * pieces — the same service implementation (`createServiceImplSpec`), the same handler context
 * (`createHandlerContext`: deadline timer, linked signals; see grpc-lane-context.ts), the same
 * interceptor chain run as `invokeUnaryImplementation` runs it (auth, metrics, protected mode,
 * durability; see {@link invokeUnary}), the same serializers
 * (`createMethodSerializationLookup`, with readMaxBytes/writeMaxBytes), the same timeout parsing
 * (`parseTimeout`, with the max-timeout cap), the same response-compression negotiation and the
 * same error trailers (`setTrailerStatus`: grpc-status, grpc-message, grpc-status-details-bin and
 * the error's metadata such as memorabilia-error-code). Only the transport plumbing is new.
 *
 * Everything it does not take goes the normal way: streams, gRPC-Web, Connect, JSON, compressed
 * requests (`grpc-encoding` other than identity), requests with an `Origin` (CORS), unknown paths,
 * and services registered with per-service options.
 */
import type { IncomingMessage } from "node:http";
import * as http2 from "node:http2";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  type Message,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { fixGrpcStatus } from "../../shared/api/decode-errors.js";
import { closeWithGuard, guardStreamsOf } from "../connection-guard.js";
import { BodyHold } from "../request-bytes.js";
import { type Compression, envelopeCompress, parseTimeout, setTrailerStatus } from "./connect-internals.js";
import {
  copyHeaders,
  createLaneRoutes,
  createLiveCalls,
  createNegotiator,
  FINISHED,
  type GrpcLane,
  type GrpcLaneOptions,
  headerValue,
  type LaneRoute,
  type MethodImplSpec,
  resetError,
  validateLaneOptions,
} from "./grpc-lane-common.js";
import { LaneContext } from "./grpc-lane-context.js";

/** Options of {@link createGrpcFastLane}: the same values the connect-fastify plugin gets. */
export type GrpcFastLaneOptions = GrpcLaneOptions;

/** The lane: records the routes, then takes the HTTP/2 streams it can serve. */
export interface GrpcFastLane extends GrpcLane {
  /** Whether {@link GrpcLane.handle} would take this request (it then counts its body's bytes itself). */
  takes(headers: http2.IncomingHttpHeaders): boolean;
}

type UnarySpec = MethodImplSpec & { kind: "unary" };

type Route = LaneRoute<UnarySpec>;

/** Creates the lane; `record` the routes before serving. */
export function createGrpcFastLane(options: GrpcFastLaneOptions): GrpcFastLane {
  const opt = validateLaneOptions(options);
  const routes = createLaneRoutes(opt, (m): m is UnarySpec => m.kind === "unary");

  const handle = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean => {
    const route = routes.take(headers);
    if (route === undefined) return false;
    lane.calls++;
    serve(route, stream, headers);
    return true;
  };
  const budget = options.requestBytes;

  const live = createLiveCalls(options.shutdownSignal);
  const cors = options.cors;

  // The interceptor chain, composed once: its innermost step finds the call on the request.
  const chain = composeInterceptors(runHandler, opt.interceptors);

  const negotiate = createNegotiator(opt.acceptCompression, "grpc-accept-encoding");

  /**
   * Starts a call: its context, the stream's listeners, the body read. Not `async`, and the body
   * read is no promise: the read hands the message to {@link answer} itself (from the stream's
   * "end" listener, in the turn the body completed), or its error to {@link fail}. Each await
   * and each promise with its resolvers is an allocation of every call.
   */
  function serve(route: Route, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const timeoutHeader = headerValue(headers["grpc-timeout"]);
    const timeout = timeoutHeader === null ? NO_TIMEOUT : parseTimeout(timeoutHeader, opt.maxTimeoutMs);
    const context = new LaneContext({
      spec: route.spec,
      service: route.service,
      headers,
      timeoutMs: timeout.timeoutMs,
      shutdownSignal: options.shutdownSignal,
      contextValues: options.contextValues?.(remoteAddress(stream), stream),
      live,
    });
    // `on`, not `once`, for events a stream emits once ("close", "wantTrailers", "end", "aborted"):
    // `once` wraps each listener (a closure, a bound function and a state object per call). The
    // listeners are shared functions finding the call on the stream: no closure per call.
    (stream as LaneStream)[kLaneCall] = context;
    // On the connection guard's own "close" listener when it watches the stream: one listener, not two.
    if (!closeWithGuard(stream as LaneStream, onLaneStreamClose)) stream.on("close", onLaneStreamClose);
    // From the start, not only once the reply is queued: a stream reset or a session destroyed
    // while the handler runs (a blocked BLPOP waits for minutes) emits "error", which without a
    // listener crashed the process. "close" above aborts the call.
    stream.on("error", ignore);
    const compression = negotiate(headerValue(headers["grpc-accept-encoding"]));
    if (compression.response) context.setResponseEncoding(compression.response.name);
    const call = new GrpcCall(core, route, stream, headers, context, compression.response, opt.readMaxBytes);
    if (timeout.error) {
      fail(call, timeout.error);
      return;
    }
    if (budget !== undefined) call.holdBody(context.holdBody(new BodyHold(budget)));
    startRead(stream, call);
  }

  /**
   * The call's message is read: the interceptors and the handler, then the reply. Not `async`: the
   * chain's promise gets two arrow functions (an async function and its await were ~0.5 KB a call).
   */
  function answer(call: GrpcCall, input: unknown): void {
    let res: Promise<UnaryResponse>;
    try {
      // invokeUnary, inlined.
      res = chain(new LaneRequest(call.context, input));
    } catch (error) {
      fail(call, error);
      return;
    }
    if (typeof (res as Partial<Promise<UnaryResponse>> | undefined)?.then !== "function") {
      answered(call, res as unknown as UnaryResponse);
      return;
    }
    res.then(
      (r) => answered(call, r),
      (error: unknown) => fail(call, error),
    );
  }

  /** The chain's response: serialized, compressed past compressMinBytes, written. */
  function answered(call: GrpcCall, res: UnaryResponse): void {
    const context = call.context;
    let data: Uint8Array;
    try {
      const output = (res instanceof LaneResponse ? res.message : adoptResponse(context, res)) as Message;
      // Cut by the budget while the handler ran (its body was still held): answered as connect's tracker would.
      const refusal = call.hold?.refusal;
      if (refusal !== undefined) throw new ConnectError(refusal, Code.ResourceExhausted);
      data = call.route.serialize(output);
    } catch (error) {
      fail(call, error);
      return;
    }
    const compression = call.compression;
    // envelopeCompress compresses from compressMinBytes on; below it, no promise.
    if (compression && data.byteLength >= opt.compressMinBytes)
      envelopeCompress({ flags: 0, data }, compression, opt.compressMinBytes).then(
        (env) => reply(call, frame(env.flags, env.data)),
        (error: unknown) => fail(call, error),
      );
    else reply(call, frame(0, data));
  }

  /** The call failed (its body, its deadline header, the chain, the handler): its error as trailers. */
  function fail(call: GrpcCall, error: unknown): void {
    const trailer = call.context.responseTrailer;
    setTrailerStatus(
      trailer,
      error instanceof ConnectError
        ? error
        : new ConnectError("internal error", Code.Internal, undefined, undefined, error),
    );
    // As shared/api/decode-errors.ts rewrites it on the normal path: undecodable input is INVALID_ARGUMENT.
    fixGrpcStatus(trailer);
    reply(call, undefined);
  }

  /** Writes the answer as connect-node does: HEADERS, the message (if any), then the trailers. */
  function reply(call: GrpcCall, body: Buffer | undefined): void {
    const { context, stream } = call;
    context.finished = true;
    context.abort(FINISHED); // stops the deadline timer and leaves the shutdown set
    if (stream.destroyed || stream.closed) return;
    // The untouched headers are one frozen object shared by every call: CORS adds to a copy.
    let out = context.outgoingHeaders();
    if (cors !== undefined) {
      out = { ...out };
      cors.apply(call.headers.origin, out as Record<string, string>);
    }
    context.trailersToSend = context.outgoingTrailers();
    stream.on("wantTrailers", onLaneWantTrailers);
    // A reply sent before the body was read (an oversized message, a bad timeout): discard the
    // rest, so flow control never stalls the client until the trailers are out (closing the
    // stream at once can drop the trailers); closeUnfinishedRequest then ends the stream.
    if (!stream.readableEnded) stream.resume();
    // ("error" has had its listener since the start: a second one would only make an array.)
    stream.respond(out, RESPOND_OPTIONS);
    if (body) stream.end(body);
    else stream.end();
  }

  /** What a call's read hands its outcome to (one object per lane). */
  const core: GrpcLaneCore = {
    answer,
    fail,
  };

  const lane = {
    record: routes.record,
    handle,
    takes: (headers: http2.IncomingHttpHeaders) => routes.take(headers) !== undefined,
    paths: routes.paths,
    calls: 0,
  };
  return lane;
}

/** `respond`'s options for a reply with trailers (Node copies them: one object for every call). */
const RESPOND_OPTIONS: http2.ServerStreamResponseOptions = { waitForTrailers: true };

/** parseTimeout's answer without a grpc-timeout header. */
const NO_TIMEOUT: ReturnType<typeof parseTimeout> = {};

/** Where a lane's HTTP/2 stream carries its call (for the shared listeners below). */
const kLaneCall: unique symbol = Symbol("memorabilia.laneStreamCall");
type LaneStream = http2.ServerHttp2Stream & { [kLaneCall]: LaneContext | undefined };

/**
 * A lane stream closed: a call not finished yet is aborted (by the client's reset, or the
 * session's end), and the call is taken off the stream: Node keeps a closed stream until a full
 * GC, and a call still reachable from it (context, headers, values, reply) was promoted with it.
 */
function onLaneStreamClose(this: LaneStream): void {
  const context = this[kLaneCall];
  if (context === undefined) return;
  this[kLaneCall] = undefined;
  context.abort(context.finished ? FINISHED : (resetError(this.rstCode) ?? FINISHED));
}

/** The reply's DATA is out: the trailers follow, then an unfinished request is closed. */
function onLaneWantTrailers(this: LaneStream): void {
  const context = this[kLaneCall];
  const trailers = context?.trailersToSend ?? {};
  if (context !== undefined) context.trailersToSend = undefined;
  this.sendTrailers(trailers);
  if (!this.readableEnded) closeUnfinishedRequest(this);
}

/** Stream errors after the reply is queued are the client's going away: nothing to do (one function, not one per call). */
export const ignore = (): void => {};

/** Where the chain's innermost step finds its call: an own property, so `{...req}` keeps it. */
const kCall: unique symbol = Symbol("memorabilia.laneCall");

/** The interceptor chain of a unary call, composed once per lane. */
export type Chain = (req: UnaryRequest) => Promise<UnaryResponse>;
type UnaryImpl = (message: unknown, context: HandlerContext) => unknown;

/**
 * The request the interceptors see: the fields connect's `invokeUnaryImplementation` gives it,
 * one fixed shape, and the signal read from the context only when something reads it.
 */
class LaneRequest implements UnaryRequest {
  readonly stream = false as const;
  readonly message: UnaryRequest["message"];
  readonly method: DescMethodUnary;
  readonly requestMethod: string;
  readonly url: string;
  readonly service: DescService;
  readonly contextValues: ContextValues;
  readonly [kCall]: LaneContext;

  constructor(context: LaneContext, message: unknown) {
    this.message = message as UnaryRequest["message"];
    this.method = context.method as DescMethodUnary;
    this.requestMethod = context.requestMethod;
    this.url = context.url;
    this.service = context.method.parent;
    this.contextValues = context.values;
    this[kCall] = context;
  }

  get signal(): AbortSignal {
    return this[kCall].signal;
  }

  get header(): Headers {
    return this[kCall].requestHeader;
  }
}

/** The handler's response as the interceptors see it: header and trailer are the call's own, made when read. */
class LaneResponse implements UnaryResponse {
  readonly stream = false as const;
  readonly message: UnaryResponse["message"];
  readonly method: DescMethodUnary;
  readonly service: DescService;
  readonly #context: LaneContext;

  constructor(context: LaneContext, message: unknown) {
    this.message = message as UnaryResponse["message"];
    this.method = context.method as DescMethodUnary;
    this.service = context.method.parent;
    this.#context = context;
  }

  get header(): Headers {
    return this.#context.responseHeader;
  }

  get trailer(): Headers {
    return this.#context.responseTrailer;
  }
}

/** As connect's `applyInterceptors`: the first interceptor is the outermost. */
export function composeInterceptors(inner: Chain, interceptors: readonly Interceptor[]): Chain {
  let next = inner;
  for (let i = interceptors.length - 1; i >= 0; i--) next = (interceptors[i] as Interceptor)(next as never) as Chain;
  return next;
}

/**
 * The chain's innermost step, as connect's: calls the implementation with the handler context and
 * normalizes its output. The context is the call's own when the interceptors passed the request
 * on as it was; when one passed a copy (`{...req, ...}`), the handler gets what connect's
 * `mergeRequest` would give it: the call's context with the copy's service, header, signal and
 * values. (An interceptor must hand on `req` or a spread of it, as all of ours do.)
 */
export function runHandler(req: UnaryRequest): Promise<UnaryResponse> {
  const context = (req as Partial<LaneRequest>)[kCall] as LaneContext;
  // Not `async`: a handler that answered synchronously is wrapped in one resolved promise, with no
  // async frame and no await per call. A throw is a rejection, as from connect's async step.
  let output: unknown;
  try {
    const handlerContext = req instanceof LaneRequest ? context : context.merge(req);
    output = (context.impl as UnaryImpl)(req.message, handlerContext);
  } catch (error) {
    return Promise.reject(error);
  }
  if (output instanceof Promise) return output.then((o: unknown) => laneResponse(context, o));
  return Promise.resolve(laneResponse(context, output));
}

/** The handler's output as the response message (what connect's `create(output, …)` gives). */
function laneResponse(context: LaneContext, output: unknown): LaneResponse {
  return new LaneResponse(
    context,
    create(context.method.output as DescMessage, output as MessageInitShape<DescMessage>),
  );
}

/**
 * Runs the call through the interceptors and the handler as connect's `invokeUnaryImplementation`
 * does, and returns the output message; headers or trailers an interceptor replaced are copied
 * into the call's as connect's `copyHeaders` does.
 */
export async function invokeUnary(chain: Chain, context: LaneContext, input: unknown): Promise<unknown> {
  const res = await chain(new LaneRequest(context, input));
  return res instanceof LaneResponse ? res.message : adoptResponse(context, res);
}

/**
 * The message of a response an interceptor made (not the lane's own): headers or trailers it
 * replaced are copied into the call's, as connect's `copyHeaders` does.
 */
function adoptResponse(context: LaneContext, res: UnaryResponse): unknown {
  // A spread copy of our response has no header/trailer (getters): they are the call's own.
  const header = res.header as Headers | undefined;
  if (header !== undefined && !context.isResponseHeader(header)) copyHeaders(header, context.responseHeader);
  const trailer = res.trailer as Headers | undefined;
  if (trailer !== undefined && !context.isResponseTrailer(trailer)) copyHeaders(trailer, context.responseTrailer);
  return res.message;
}

// A session's peer address, read once per session: `session.socket` is a Proxy, and the
// address behind it a getter, for every call otherwise.
const remoteAddresses = new WeakMap<http2.Http2Session, string | undefined>();

/** The remote address of the stream's connection (the first one read is kept for the session). */
export function remoteAddress(stream: http2.ServerHttp2Stream): string | undefined {
  const session = stream.session;
  if (session === undefined) return undefined;
  let address = remoteAddresses.get(session);
  if (address === undefined) {
    address = session.socket?.remoteAddress;
    if (address !== undefined) remoteAddresses.set(session, address);
  }
  return address;
}

/**
 * Puts the lane in front of an HTTP/2 server's compat layer: each new stream is offered to the
 * lane first, and goes to the compat `request` handling (Fastify) when the lane declines.
 */
export function installFastLane(
  server: http2.Http2Server | http2.Http2SecureServer,
  handle: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean,
): void {
  const compat = server.listeners("stream") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("stream");
  // The connection guard counts each stream here, first: no second `stream` listener per session.
  const guard = guardStreamsOf(server);
  // `arguments` rather than a rest parameter: no array per stream the lane takes.
  server.on("stream", function (this: unknown, stream, headers) {
    guard?.watchStream(stream);
    if (handle(stream, headers)) return;
    // biome-ignore lint/complexity/noArguments: handed on as they came, without copying them for the lane's streams
    for (const l of compat) l.apply(server, arguments as unknown as unknown[]);
    // Registered after the compat layer's own listener, so this runs once its trailers are queued.
    stream.once("wantTrailers", () => {
      if (!stream.readableEnded) closeUnfinishedRequest(stream);
    });
  });
}

/**
 * Ends a stream whose response is complete (trailers just sent) while the client has not
 * finished its request, e.g. an oversized gRPC message answered RESOURCE_EXHAUSTED before the
 * body was read. Node's HTTP/2 would otherwise keep the stream half-closed until the client
 * ends its side, so a client waiting for the stream to close (not for the trailers) would hang
 * until its deadline. As gRPC servers do, send RST_STREAM NO_ERROR (RFC 9113 §8.1 allows it
 * after a complete response), but only once the trailers are out, so they still arrive first.
 */
export function closeUnfinishedRequest(stream: http2.ServerHttp2Stream, waitedMs = 0): void {
  // The client already sent END_STREAM (the body is merely unread): the stream closes by itself.
  if (stream.destroyed || stream.closed || stream.state.remoteClose) return;
  // nghttp2 drops frames queued on a stream once RST_STREAM is submitted, so the RST must wait
  // until the trailers (END_STREAM) have actually gone out: localClose says they have.
  if (stream.state.localClose) {
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
    return;
  }
  if (waitedMs === 0) setImmediate(() => closeUnfinishedRequest(stream, 1));
  else setTimeout(() => closeUnfinishedRequest(stream, Math.min(waitedMs * 2, 100)), waitedMs).unref();
}

/** A gRPC (or gRPC-Web) envelope: flags, length, data. */
export function frame(flags: number, data: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + data.byteLength);
  b[0] = flags;
  b.writeUInt32BE(data.byteLength, 1);
  b.set(data, 5);
  return b;
}

/**
 * Reads the request body as connect's gRPC handler does: envelopes checked against readMaxBytes
 * as soon as their header arrives, a compressed flag refused (identity only on this lane),
 * exactly one message, then parsed with the route's parser (the reflection-free reader, else connect's).
 * With `hold`, each chunk is counted against the server's request-bytes budget before it is kept
 * (a cut body is answered RESOURCE_EXHAUSTED, its bytes dropped).
 */
export function readSingleMessage(
  stream: http2.ServerHttp2Stream | IncomingMessage,
  readMaxBytes: number,
  parse: Route["parse"],
  hold?: BodyHold,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    startRead(stream, new PromisedRead(true, readMaxBytes, -1, parse, hold, resolve, reject));
  });
}

/**
 * A unary Connect request's body, read as connect's `readAllBytes` reads it: a content-length
 * past readMaxBytes refused before reading, a body that does not match its content-length
 * refused, and without one, the bytes counted against readMaxBytes as they arrive. `hold` as in
 * {@link readSingleMessage}.
 */
export function readBody(
  body: http2.ServerHttp2Stream | IncomingMessage,
  readMaxBytes: number,
  lengthHint: string | null,
  hold?: BodyHold,
): Promise<Uint8Array> {
  const hint = lengthHint === null ? Number.NaN : Number.parseInt(lengthHint, 10);
  const known = Number.isSafeInteger(hint) && hint >= 0;
  if (known && hint > readMaxBytes)
    return Promise.reject(
      new ConnectError(
        `message size ${hint} is larger than configured readMaxBytes ${readMaxBytes}`,
        Code.ResourceExhausted,
      ),
    );
  return new Promise((resolve, reject) => {
    startRead(
      body,
      new PromisedRead(false, readMaxBytes, known ? hint : -1, undefined, hold, resolve as never, reject),
    );
  });
}

/** Where a body being read keeps its read (for the shared listeners below). */
const kBodyRead: unique symbol = Symbol("memorabilia.bodyRead");
type ReadSource = (http2.ServerHttp2Stream | IncomingMessage) & { [kBodyRead]?: BodyRead | undefined };

/**
 * One body being read; a subclass says where its outcome goes ({@link BodyRead.settled},
 * {@link BodyRead.failed}). The listeners on the body are shared functions finding the read on
 * it, and the read is taken off the body once settled: Node keeps a closed HTTP/2 stream until a
 * full GC, and per-call closures on it (the chunks, the promise's resolvers) were promoted with it.
 */
abstract class BodyRead {
  /** The chunks so far: the first one alone (most bodies are one chunk), then an array. */
  first: Buffer | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  total = 0;
  checked = false;
  done = false;
  source: ReadSource | undefined = undefined;
  hold: BodyHold | undefined;

  constructor(
    /** Enveloped (gRPC, gRPC-Web), else a raw Connect body. */
    readonly enveloped: boolean,
    readonly readMaxBytes: number,
    /** The content-length promised (raw bodies), -1 when unknown. */
    readonly hint: number,
    readonly parse: Route["parse"] | undefined,
    hold: BodyHold | undefined,
  ) {
    this.hold = hold;
  }

  /** The body as read (raw) or its one message (enveloped). Called once, outside any try of the read's. */
  protected abstract settled(value: unknown): void;

  /** The body could not be read (the limits, the budget, an abort, a bad envelope). Called once. */
  protected abstract failed(error: unknown): void;

  /** Counts the body against the server's budget (before the read starts). */
  holdBody(hold: BodyHold): void {
    this.hold = hold;
  }

  fail(error: ConnectError): void {
    if (this.done) return;
    this.finish();
    this.failed(error);
  }

  finish(): void {
    this.done = true;
    this.first = undefined;
    this.chunks = undefined;
    const hold = this.hold;
    if (hold !== undefined) {
      hold.onCut = undefined;
      (hold as ReadHold)[kHoldRead] = undefined;
    }
    const source = this.source;
    if (source !== undefined) {
      source[kBodyRead] = undefined;
      this.source = undefined;
    }
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    const hold = this.hold;
    if (hold !== undefined && !hold.add(chunk.length)) {
      this.refuse();
      return;
    }
    const readMaxBytes = this.readMaxBytes;
    this.total += chunk.length;
    const total = this.total;
    if (!this.enveloped) {
      const hint = this.hint;
      if (hint >= 0 && total > hint)
        this.fail(new ConnectError(`protocol error: promised ${hint} bytes, received ${total}`, Code.InvalidArgument));
      else if (hint < 0 && total > readMaxBytes)
        this.fail(
          new ConnectError(
            `message size is larger than configured readMaxBytes ${readMaxBytes}`,
            Code.ResourceExhausted,
          ),
        );
      else this.keep(chunk);
      return;
    }
    this.keep(chunk);
    if (!this.checked && total >= 5) {
      this.checked = true;
      const head = this.chunks === undefined ? chunk : Buffer.concat(this.chunks);
      const length = head.readUInt32BE(1);
      if (length > readMaxBytes) {
        this.fail(
          new ConnectError(
            `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
            Code.ResourceExhausted,
          ),
        );
        return;
      }
    }
    // One message and its 5-byte envelope header at most: the limit holds on the bytes received,
    // as they arrive, however the envelopes claim to be sized (1 GiB was buffered to the end).
    if (total > readMaxBytes + 5)
      this.fail(
        new ConnectError(
          `request size ${total} is larger than configured readMaxBytes ${readMaxBytes}`,
          Code.ResourceExhausted,
        ),
      );
  }

  /** Keeps a chunk: no array for a body of one chunk. */
  private keep(chunk: Buffer): void {
    if (this.first === undefined) this.first = chunk;
    else if (this.chunks === undefined) this.chunks = [this.first, chunk];
    else this.chunks.push(chunk);
  }

  /** The budget cut the body: RESOURCE_EXHAUSTED, and the rest is dropped as it arrives. */
  refuse(): void {
    this.fail(new ConnectError(this.hold?.refusal ?? "request bytes refused", Code.ResourceExhausted));
  }

  end(): void {
    if (this.done) return;
    const chunks = this.chunks;
    const buf = chunks !== undefined ? Buffer.concat(chunks) : (this.first ?? (EMPTY as Buffer));
    const total = this.total;
    const hint = this.hint;
    this.finish();
    if (!this.enveloped) {
      if (hint >= 0 && total < hint)
        this.failed(
          new ConnectError(`protocol error: promised ${hint} bytes, received ${total}`, Code.InvalidArgument),
        );
      else this.settled(buf);
      return;
    }
    let message: unknown;
    try {
      message = parseSingleEnvelope(buf, this.readMaxBytes, this.parse as Route["parse"]);
    } catch (e) {
      this.failed(e);
      return;
    }
    // Outside the try: what the outcome's receiver throws is not the body's error.
    this.settled(message);
  }
}

/** An empty body (no chunk arrived). */
const EMPTY = Buffer.alloc(0);

/** A read whose outcome settles a promise (the web lane's readers). */
class PromisedRead extends BodyRead {
  constructor(
    enveloped: boolean,
    readMaxBytes: number,
    hint: number,
    parse: Route["parse"] | undefined,
    hold: BodyHold | undefined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {
    super(enveloped, readMaxBytes, hint, parse, hold);
  }

  protected settled(value: unknown): void {
    this.resolve(value);
  }

  protected failed(error: unknown): void {
    this.reject(error);
  }
}

/** Where the gRPC lane's calls go once read (one object per lane). */
interface GrpcLaneCore {
  answer(call: GrpcCall, input: unknown): void;
  fail(call: GrpcCall, error: unknown): void;
}

/**
 * One unary gRPC call of the lane, from its body read to its answer: the read and the call are one
 * object (no promise, no resolvers, no closure), handing the message to the lane's `answer`.
 */
class GrpcCall extends BodyRead {
  constructor(
    readonly core: GrpcLaneCore,
    readonly route: Route,
    readonly stream: http2.ServerHttp2Stream,
    readonly headers: http2.IncomingHttpHeaders,
    readonly context: LaneContext,
    readonly compression: Compression | null,
    readMaxBytes: number,
  ) {
    super(true, readMaxBytes, -1, route.parse, undefined);
  }

  protected settled(value: unknown): void {
    this.core.answer(this, value);
  }

  protected failed(error: unknown): void {
    this.core.fail(this, error);
  }
}

/** Where a budget's hold finds the read it cuts (a shared `onCut`, no closure per call). */
const kHoldRead: unique symbol = Symbol("memorabilia.holdRead");
type ReadHold = BodyHold & { [kHoldRead]?: BodyRead | undefined };

function onHoldCut(this: ReadHold): void {
  this[kHoldRead]?.refuse();
}

function startRead(source: ReadSource, read: BodyRead): void {
  read.source = source;
  source[kBodyRead] = read;
  const hold = read.hold as ReadHold | undefined;
  if (hold !== undefined) {
    hold[kHoldRead] = read;
    hold.onCut = onHoldCut;
  }
  source.on("data", onReadData);
  source.on("aborted", onReadAborted);
  source.on("end", onReadEnd);
}

function onReadData(this: ReadSource, chunk: Buffer): void {
  this[kBodyRead]?.data(chunk);
}

function onReadAborted(this: ReadSource): void {
  this[kBodyRead]?.fail(new ConnectError("the operation was aborted", Code.Canceled));
}

function onReadEnd(this: ReadSource): void {
  this[kBodyRead]?.end();
}

/** The one message of a complete unary request body, or connect's error for what is wrong with it. */
function parseSingleEnvelope(buf: Buffer, readMaxBytes: number, parse: Route["parse"]): unknown {
  let count = 0;
  let first: Uint8Array | undefined;
  let firstFlags = 0;
  let off = 0;
  while (off + 5 <= buf.length) {
    const length = buf.readUInt32BE(off + 1);
    if (length > readMaxBytes)
      throw new ConnectError(
        `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
        Code.ResourceExhausted,
      );
    if (off + 5 + length > buf.length) break;
    if (count++ === 0) {
      firstFlags = buf[off] as number;
      first = buf.subarray(off + 5, off + 5 + length);
    }
    off += 5 + length;
  }
  if (off !== buf.length) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (first === undefined)
    throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  // A compressed flag without grpc-encoding: connect's envelopeDecompress error, verbatim.
  if ((firstFlags & 1) === 1)
    throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  const message = parse(first);
  if (count > 1)
    throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  return message;
}
