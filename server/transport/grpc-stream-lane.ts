/**
 * A fast lane for bidi-streaming gRPC calls over HTTP/2 (TransactionService/Pipeline).
 *
 * Through Fastify + connect-fastify each message of a stream passes a dozen async generators
 * (the request body, envelope split, decompress, parse, the implementation's wrapper, serialize,
 * compress, join, catch, the decode-error mapper) and one `write` promise: ~13 µs of server CPU per
 * Pipeline command on top of running it. This lane takes the stream straight off HTTP/2, as
 * grpc-fast-lane.ts does for unary calls, and keeps connect's own pieces for the semantics: the
 * same service implementation (`createServiceImplSpec`), the same interceptors applied the way
 * connect's `invokeStreamImplementation` applies them (request `{stream: true, message: <the
 * request iterable>}`, response headers copied before the first message, trailers after the
 * last), the same output normalization (`normalizeIterable`), serializers (readMaxBytes),
 * timeout parsing, response compression and error trailers (`setTrailerStatus`, then the
 * decode-error fix of shared/api/decode-errors.ts), and the same deadline/cancel/shutdown signal
 * (`LaneContext`). Response HEADERS go out with the first reply (or with the trailers), as connect
 * sends them after the first message.
 *
 * Replies produced in one turn are written in one `stream.write` (flushed when the
 * implementation waits for the next request, or at the next check phase). When the HTTP/2 stream
 * does not drain, no further reply is pulled, so the implementation stops pulling requests, and
 * the request queue pauses the stream past its high-water mark (grpc-request-queue.ts).
 */
import type * as http2 from "node:http2";
import { create, type DescMethodBiDiStreaming } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
} from "@connectrpc/connect";
import { fixGrpcStatus } from "../../shared/api/decode-errors.js";
import { compressionNegotiate, envelopeCompress, parseTimeout, setTrailerStatus } from "./connect-internals.js";
import {
  copyHeaders,
  createLaneRoutes,
  createLiveCalls,
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
import { ReplyWriter } from "./grpc-reply-writer.js";
import { RequestQueue } from "./grpc-request-queue.js";

/** Options of {@link createGrpcStreamLane}: the same values the connect-fastify plugin gets. */
export interface GrpcStreamLaneOptions extends GrpcLaneOptions {
  /** The bidi methods served (`/package.Service/Method`). @default TransactionService/Pipeline */
  readonly paths?: readonly string[];
  /** Unread request bytes per stream past which it is paused. @default 1 MiB */
  readonly highWaterBytes?: number;
}

/** The lane: records the routes, then takes the HTTP/2 streams it can serve. */
export type GrpcStreamLane = GrpcLane;

type BidiSpec = MethodImplSpec & { kind: "bidi_streaming" };
type Impl = (requests: AsyncIterable<unknown>, ctx: HandlerContext) => AsyncIterable<unknown>;

type Route = LaneRoute<BidiSpec>;

const DEFAULT_PATHS = ["/memorabilia.v1.TransactionService/Pipeline"];

/** Creates the lane; `record` the routes before serving. */
export function createGrpcStreamLane(options: GrpcStreamLaneOptions): GrpcStreamLane {
  const opt = validateLaneOptions(options);
  const wanted = new Set(options.paths ?? DEFAULT_PATHS);
  const routes = createLaneRoutes(opt, (m, path): m is BidiSpec => m.kind === "bidi_streaming" && wanted.has(path));

  const handle = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean => {
    const route = routes.take(headers);
    if (route === undefined) return false;
    lane.calls++;
    void serve(route, stream, headers);
    return true;
  };

  const live = createLiveCalls(options.shutdownSignal);

  async function serve(route: Route, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    const timeout = parseTimeout(headerValue(headers["grpc-timeout"]), opt.maxTimeoutMs);
    const context = new LaneContext({
      spec: route.spec as never,
      service: route.service,
      headers,
      timeoutMs: timeout.timeoutMs,
      shutdownSignal: options.shutdownSignal,
      contextValues: options.contextValues?.(stream.session?.socket?.remoteAddress),
      live,
    });
    const compression = compressionNegotiate(
      opt.acceptCompression,
      null,
      headerValue(headers["grpc-accept-encoding"]),
      "grpc-accept-encoding",
    );
    if (compression.response) context.responseHeader.set("grpc-encoding", compression.response.name);
    const input = new RequestQueue(stream, {
      readMaxBytes: opt.readMaxBytes,
      parser: route,
      firstError: compression.error ?? timeout.error,
      highWaterBytes: options.highWaterBytes,
    });
    const out = new ReplyWriter(stream, context);
    input.onWait = out.flush;
    let finished = false;
    stream.once("close", () => {
      if (finished) return;
      const reason = resetError(stream.rstCode) ?? new ConnectError("the operation was aborted", Code.Canceled);
      context.abort(reason);
      input.abort(reason);
      out.closed();
    });
    stream.on("error", () => {});

    const serialize = route.serialize;
    let it: AsyncIterator<unknown> | undefined;
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
      const res = await invokeBidi(route.spec, context, opt.interceptors)(req);
      copyHeaders(res.header, context.responseHeader);
      it = res.message[Symbol.asyncIterator]();
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        let env: { flags: number; data: Uint8Array } = { flags: 0, data: serialize(r.value) };
        if (compression.response && env.data.byteLength >= opt.compressMinBytes)
          env = await envelopeCompress(env, compression.response, opt.compressMinBytes);
        out.add(env.flags, env.data);
        // Backpressure: pull the next reply only once the stream has drained.
        if (out.blocked) await out.drained();
        if (out.gone) break;
      }
      if (!out.gone) copyHeaders(res.trailer, context.responseTrailer);
      else await it.return?.();
    } catch (error) {
      setTrailerStatus(
        context.responseTrailer,
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error),
      );
      // As shared/api/decode-errors.ts rewrites it on the normal path: undecodable input is INVALID_ARGUMENT.
      fixGrpcStatus(context.responseTrailer);
      // The request side is done with: stop reading it (the rest is discarded below).
      void input.return();
    }
    finished = true;
    context.abort(FINISHED); // stops the deadline timer and leaves the shutdown set
    out.finish();
  }

  const lane = { record: routes.record, handle, paths: routes.paths, calls: 0 };
  return lane;
}

/**
 * connect's `invokeStreamImplementation` for a bidi method, up to the response: the interceptors
 * applied as `applyInterceptors` does (the first is the outermost), around a `next` that calls
 * the implementation with connect's `mergeRequest` context and normalizes what it yields.
 */
function invokeBidi(
  spec: BidiSpec,
  context: LaneContext,
  interceptors: readonly Interceptor[],
): (req: StreamRequest) => Promise<StreamResponse> {
  const impl = spec.impl as unknown as Impl;
  let next = (req: StreamRequest): Promise<StreamResponse> =>
    Promise.resolve({
      message: normalizeIterable(
        spec.method.output,
        // connect's mergeRequest (the context's own method: its signal and headers are made lazily).
        impl(req.message, context.merge(req)),
      ),
      stream: true,
      method: spec.method,
      service: spec.method.parent,
      header: context.responseHeader,
      trailer: context.responseTrailer,
    } as unknown as StreamResponse);
  for (const i of interceptors.concat().reverse()) next = i(next as never) as typeof next;
  return next;
}

/** connect's `normalizeIterable` (not exported): each reply made a full message of the output type. */
function normalizeIterable(
  desc: DescMethodBiDiStreaming["output"],
  input: AsyncIterable<unknown>,
): AsyncIterable<unknown> {
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
