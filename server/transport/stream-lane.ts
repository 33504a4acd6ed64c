/**
 * The stream lane: every streaming method (server-streaming, client-streaming, bidi) in gRPC over
 * HTTP/2, and in gRPC-Web and Connect (binary) over HTTP/1.1 and HTTP/2, cleartext and TLS. A
 * new streaming RPC is served as soon as its service is registered: the lane takes every
 * streaming method of the services recorded through it.
 *
 * Through Fastify + connect-fastify each message of a stream passes a dozen async generators
 * (the request body, envelope split, decompress, parse, the implementation's wrapper, serialize,
 * compress, join, catch, the decode-error mapper) and one `write` promise: ~13 µs of server CPU per
 * Pipeline command on top of running it, and as much per message a Watch stream sends. This lane
 * takes the stream straight off the transport, as grpc-fast-lane.ts does for unary calls, and keeps
 * connect's own pieces for the semantics: the same service implementation
 * (`createServiceImplSpec`), the same interceptors applied the way connect's
 * `invokeStreamImplementation` applies them (request `{stream: true, message: <the request
 * iterable>}`, one input message checked for server-streaming methods as `ensureSingle` checks it,
 * response headers copied before the first message, trailers after the last), the same output
 * normalization (`normalizeIterable`), serializers (readMaxBytes), timeout parsing, response
 * compression and end of stream (`setTrailerStatus`, then the decode-error fix of
 * shared/api/decode-errors.ts), and the same deadline/cancel/shutdown signal (`LaneContext`).
 * The response head goes out with the first reply (or with the end), as connect sends it after
 * the first message. What differs by protocol is in {@link StreamProtocol}: the headers read, the
 * end written (HTTP/2 trailers, gRPC-Web's trailer envelope, Connect's end-stream envelope).
 *
 * Replies produced in one turn are written in one write (flushed when the implementation waits
 * for the next request, or at the next check phase): a Watch stream that fell behind sends its
 * queued batches as one message, and the messages of one turn as one write. When the transport
 * does not drain, no further reply is pulled, so the implementation stops pulling requests, and
 * the request queue pauses the body past its high-water mark (grpc-request-queue.ts).
 *
 * Everything it does not take goes to connect: JSON, gRPC-Web text, compressed requests,
 * unknown paths, services registered with per-service options, gRPC with an `Origin`. With
 * `--cors-origin` set, every answer carries the headers Fastify's CORS plugin adds (cors-headers.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as http2 from "node:http2";
import { create, type DescMessage, type JsonWriteOptions } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
} from "@connectrpc/connect";
import { fixGrpcStatus, isDecodeFailure } from "../../shared/api/decode-errors.js";
import { isSharedMessage } from "../../shared/api/shared-message.js";
import {
  compressionNegotiate,
  createEndStreamSerialization,
  endStreamFlag,
  envelopeCompress,
  parseConnectTimeout,
  parseTimeout,
  setTrailerStatus,
  trailerFlag,
  trailerSerialize,
} from "./connect-internals.js";
import { frame } from "./grpc-fast-lane.js";
import {
  copyHeaders,
  createLaneRoutes,
  createLiveCalls,
  FINISHED,
  type GrpcLaneOptions,
  headerValue,
  type LaneRoute,
  type MethodImplSpec,
  takeWebRequest,
  validateLaneOptions,
} from "./grpc-lane-common.js";
import { LaneContext, type LaneProtocol } from "./grpc-lane-context.js";
import { type Envelope, ReplyWriter } from "./grpc-reply-writer.js";
import { RequestQueue } from "./grpc-request-queue.js";
import { type HeadDecorator, http1Sink, http2Sink, type ReplySink } from "./reply-sink.js";

/** Options of {@link createStreamLane}: the same values the connect-fastify plugin gets. */
export interface StreamLaneOptions extends GrpcLaneOptions {
  /** Unread request bytes per stream past which it is paused. @default 1 MiB */
  readonly highWaterBytes?: number;
  /** connect's JSON options (Connect's end-of-stream message is JSON). */
  readonly jsonOptions?: Partial<JsonWriteOptions>;
}

/** The lane: records the routes, then takes the streams and requests it can serve. */
export interface StreamLane {
  /** Wraps a router: services registered through it are served by connect and by the lane. */
  record: ReturnType<typeof createLaneRoutes>["record"];
  /** Serves an HTTP/2 stream (any of the three protocols) and returns true, or returns false (nothing touched). */
  handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** Serves an HTTP/1.1 request (gRPC-Web, Connect) and returns true, or returns false (nothing touched). */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** The request paths served. */
  readonly paths: ReadonlySet<string>;
  /** Streams taken so far. */
  readonly calls: number;
}

type StreamSpec = MethodImplSpec & { kind: "server_streaming" | "client_streaming" | "bidi_streaming" };
type Route = LaneRoute<StreamSpec>;

/** What a streaming protocol reads and writes differently (connect's three handler factories). */
interface StreamProtocol extends LaneProtocol {
  /** The request header naming the request's compression (identity only on this lane). */
  readonly encodingHeader: string;
  /** The request header listing the compressions the client accepts for the response. */
  readonly acceptEncodingHeader: string;
  /** Request envelopes with this flag are skipped (0: none). */
  readonly endFlag: number;
  /** The request timeout and its error, from the protocol's header. */
  timeout(headers: http2.IncomingHttpHeaders, maxTimeoutMs: number): { timeoutMs?: number; error?: ConnectError };
}

const GRPC: StreamProtocol = {
  name: "grpc",
  contentType: "application/grpc+proto",
  grpcStatusTrailer: true,
  encodingHeader: "grpc-encoding",
  acceptEncodingHeader: "grpc-accept-encoding",
  endFlag: 0,
  timeout: (h, max) => parseTimeout(headerValue(h["grpc-timeout"]), max),
};
const GRPC_WEB: StreamProtocol = {
  ...GRPC,
  name: "grpc-web",
  contentType: "application/grpc-web+proto",
  endFlag: trailerFlag,
};
const CONNECT: StreamProtocol = {
  name: "connect",
  contentType: "application/connect+proto",
  grpcStatusTrailer: false,
  encodingHeader: "connect-content-encoding",
  acceptEncodingHeader: "connect-accept-encoding",
  endFlag: endStreamFlag,
  timeout: (h, max) => parseConnectTimeout(headerValue(h["connect-timeout-ms"]), max),
};

/** The protocol of a gRPC-Web or Connect streaming request this lane may take (binary, uncompressed). */
function webProtocolOf(headers: http2.IncomingHttpHeaders): StreamProtocol | undefined {
  const type = headers["content-type"];
  const protocol =
    type === "application/grpc-web+proto" || type === "application/grpc-web"
      ? GRPC_WEB
      : type === "application/connect+proto"
        ? CONNECT
        : undefined;
  if (protocol === undefined) return undefined;
  const encoding = headers[protocol.encodingHeader];
  return encoding === undefined || encoding === "identity" ? protocol : undefined;
}

/** Creates the lane; `record` the routes before serving. */
export function createStreamLane(options: StreamLaneOptions): StreamLane {
  const opt = validateLaneOptions(options);
  const routes = createLaneRoutes(opt, (m): m is StreamSpec => m.kind !== "unary");
  const live = createLiveCalls(options.shutdownSignal);
  const endStream = createEndStreamSerialization(options.jsonOptions);
  const cors = options.cors;
  /** What adds the CORS headers to an answer (CORS configured), or undefined. */
  const corsOf = (headers: http2.IncomingHttpHeaders): HeadDecorator | undefined =>
    cors === undefined ? undefined : (out) => cors.apply(headers.origin, out);

  /** The route and protocol of a gRPC-Web or Connect request this lane takes, or undefined. */
  const takeWeb = (
    method: string | undefined,
    path: string | undefined,
    authority: string | undefined,
    headers: http2.IncomingHttpHeaders,
  ) => takeWebRequest(routes.route, webProtocolOf, method, path, authority, headers);

  const handle = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean => {
    const grpc = routes.take(headers);
    if (grpc !== undefined) {
      lane.calls++;
      void serve(grpc, GRPC, headers, undefined, http2Sink(stream, true, corsOf(headers)));
      return true;
    }
    const authority = headers[":authority"];
    const path = headers[":path"];
    const taken = takeWeb(headers[":method"], path, authority, headers);
    if (taken === undefined) return false;
    lane.calls++;
    void serve(taken[0], taken[1], headers, `http://${authority}${path}`, http2Sink(stream, false, corsOf(headers)));
    return true;
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    const authority = req.headers.host;
    const taken = takeWeb(req.method, req.url, authority, req.headers);
    if (taken === undefined) return false;
    lane.calls++;
    void serve(
      taken[0],
      taken[1],
      req.headers,
      `http://${authority}${req.url}`,
      http1Sink(req, res, corsOf(req.headers)),
    );
    return true;
  };

  async function serve(
    route: Route,
    protocol: StreamProtocol,
    headers: http2.IncomingHttpHeaders,
    url: string | undefined,
    sink: ReplySink,
  ): Promise<void> {
    const timeout = protocol.timeout(headers, opt.maxTimeoutMs);
    const context = new LaneContext({
      spec: route.spec as never,
      service: route.service,
      headers,
      timeoutMs: timeout.timeoutMs,
      shutdownSignal: options.shutdownSignal,
      contextValues: options.contextValues?.(sink.remoteAddress, sink.body),
      live,
      protocol,
      url,
    });
    const compression = compressionNegotiate(
      opt.acceptCompression,
      null,
      headerValue(headers[protocol.acceptEncodingHeader]),
      protocol.acceptEncodingHeader,
    );
    if (compression.response) context.responseHeader.set(protocol.encodingHeader, compression.response.name);
    const input = new RequestQueue(sink.body, {
      readMaxBytes: opt.readMaxBytes,
      parser: route,
      firstError: compression.error ?? timeout.error,
      highWaterBytes: options.highWaterBytes,
      endFlag: protocol.endFlag,
    });
    const out = new ReplyWriter(sink, context);
    input.onWait = out.flush;
    let finished = false;
    sink.onGone((reason) => {
      if (finished) return;
      context.abort(reason);
      input.abort(reason);
      out.closed();
    });

    const serialize = route.serialize;
    let failure: ConnectError | undefined;
    try {
      const req = {
        stream: true,
        message: input,
        method: route.spec.method,
        requestMethod: context.requestMethod,
        url: context.url,
        signal: context.signal,
        header: context.requestHeader,
        service: route.spec.method.parent,
        contextValues: context.values,
      } as StreamRequest;
      const res = await invokeStream(route.spec, context, opt.interceptors)(req);
      copyHeaders(res.header, context.responseHeader);
      const it = res.message[Symbol.asyncIterator]();
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        const value = r.value;
        if (compression.response === undefined && isSharedMessage(value)) {
          // A message many streams send (a Watch batch): encoded and framed once for all of them.
          let framed = sharedFrames.get(value);
          if (framed === undefined) sharedFrames.set(value, (framed = frame(0, serialize(value))));
          out.addFramed(framed);
        } else {
          let env: Envelope = { flags: 0, data: serialize(value) };
          if (compression.response && env.data.byteLength >= opt.compressMinBytes)
            env = await envelopeCompress(env, compression.response, opt.compressMinBytes);
          out.add(env.flags, env.data);
        }
        // Backpressure: pull the next reply only once the transport has drained.
        if (out.blocked) await out.drained();
        if (out.gone) break;
      }
      if (!out.gone) copyHeaders(res.trailer, context.responseTrailer);
      else await it.return?.();
    } catch (error) {
      failure =
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
      if (protocol !== CONNECT) {
        setTrailerStatus(context.responseTrailer, failure);
        // As shared/api/decode-errors.ts rewrites it on connect's path: undecodable input is INVALID_ARGUMENT.
        fixGrpcStatus(context.responseTrailer);
      }
      // The request side is done with: stop reading it (the rest is discarded by the sink).
      void input.return();
    }
    finished = true;
    context.abort(FINISHED); // stops the deadline timer and leaves the shutdown set
    if (out.gone) return;
    let last: Envelope | undefined;
    if (protocol === GRPC_WEB) last = { flags: trailerFlag, data: trailerSerialize(context.responseTrailer) };
    else if (protocol === CONNECT) {
      // As shared/api/decode-errors.ts rewrites Connect's end of stream: undecodable input is INVALID_ARGUMENT.
      if (failure?.code === Code.Internal && isDecodeFailure(failure.rawMessage))
        failure = new ConnectError(failure.rawMessage, Code.InvalidArgument, failure.metadata);
      last = { flags: endStreamFlag, data: endStream.serialize({ metadata: context.responseTrailer, error: failure }) };
    }
    if (last !== undefined && compression.response && last.data.byteLength >= opt.compressMinBytes)
      last = await envelopeCompress(last, compression.response, opt.compressMinBytes);
    out.finish(last, protocol === GRPC);
  }

  const lane = { record: routes.record, handle, handleRequest, paths: routes.paths, calls: 0 };
  return lane;
}

/**
 * The framed bytes of each shared message (shared-message.ts), by message: every stream that
 * sends it writes the same buffer. A message has one type, so its bytes are the same whatever
 * route sends it.
 */
const sharedFrames = new WeakMap<object, Buffer>();

type Impl = (input: unknown, ctx: HandlerContext) => unknown;

/**
 * connect's `invokeStreamImplementation` for a streaming method, up to the response: the
 * interceptors applied as `applyInterceptors` does (the first is the outermost), around a `next`
 * that calls the implementation with connect's `mergeRequest` context — with the one input
 * message (`ensureSingle`) for a server-streaming method, the input iterable otherwise — and
 * normalizes what it returns (one message for a client-streaming method).
 */
function invokeStream(
  spec: StreamSpec,
  context: LaneContext,
  interceptors: readonly Interceptor[],
): (req: StreamRequest) => Promise<StreamResponse> {
  const impl = spec.impl as unknown as Impl;
  const output = spec.method.output as DescMessage;
  const response = (message: AsyncIterable<unknown>) =>
    ({
      message,
      stream: true,
      method: spec.method,
      service: spec.method.parent,
      header: context.responseHeader,
      trailer: context.responseTrailer,
    }) as unknown as StreamResponse;
  let next: (req: StreamRequest) => Promise<StreamResponse>;
  switch (spec.kind) {
    case "server_streaming":
      next = async (req) =>
        response(
          normalizeIterable(
            output,
            impl(await ensureSingle(req.message, "server-streaming"), context.merge(req)) as AsyncIterable<unknown>,
          ),
        );
      break;
    case "client_streaming":
      next = async (req) => response(single(create(output, (await impl(req.message, context.merge(req))) as never)));
      break;
    default:
      // connect's mergeRequest (the context's own method: its signal and headers are made lazily).
      next = (req) =>
        Promise.resolve(
          response(normalizeIterable(output, impl(req.message, context.merge(req)) as AsyncIterable<unknown>)),
        );
  }
  for (const i of interceptors.concat().reverse()) next = i(next as never) as typeof next;
  return next;
}

/** connect's `ensureSingle` (not exported): exactly one input message, with its errors. */
async function ensureSingle(iterable: AsyncIterable<unknown>, method: string): Promise<unknown> {
  const it = iterable[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true)
    throw new ConnectError(`protocol error: missing input message for ${method} method`, Code.Unimplemented);
  const second = await it.next();
  if (second.done !== true)
    throw new ConnectError(`protocol error: received extra input message for ${method} method`, Code.Unimplemented);
  return first.value;
}

/** An async iterable of one value. */
function single(value: unknown): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      yield value;
    },
  };
}

/** connect's `normalizeIterable` (not exported): each reply made a full message of the output type. */
function normalizeIterable(desc: DescMessage, input: AsyncIterable<unknown>): AsyncIterable<unknown> {
  type Step = (v?: unknown) => Promise<IteratorResult<unknown>>;
  const transform = (r: IteratorResult<unknown>): IteratorResult<unknown> =>
    r.done === true ? r : { done: false, value: create(desc, r.value as never) };
  return {
    [Symbol.asyncIterator]() {
      const it = input[Symbol.asyncIterator]();
      const res: AsyncIterator<unknown> = { next: () => it.next().then(transform) };
      if (it.throw !== undefined) res.throw = (e) => (it.throw as Step)(e).then(transform);
      if (it.return !== undefined) res.return = (v) => (it.return as Step)(v).then(transform);
      return res;
    },
  };
}
