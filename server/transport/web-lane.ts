/**
 * The browser protocols' lane: unary gRPC-Web and Connect calls with binary messages, over
 * HTTP/1.1 (cleartext or TLS) and HTTP/2 (h2c or TLS), taken before Fastify.
 *
 * Through Fastify + connect-fastify a gRPC-Web call costs ~0.5 ms of server CPU and a Connect
 * call ~0.15-0.2 ms (gRPC-Web runs unary calls through connect's stream pipeline: a dozen async
 * generators). This lane runs them the way grpc-fast-lane.ts runs unary gRPC — one code path per
 * concern, shared with it: the route table and serializers (grpc-lane-common.ts, the
 * reflection-free codec), the handler context (grpc-lane-context.ts, with the protocol's name,
 * content type and trailers), the interceptor chain and handler invocation (`invokeUnary`), the
 * envelope reader (`readSingleMessage`, gRPC-Web) — and writes each protocol's answer as
 * connect's handlers do:
 *   - gRPC-Web (connect's protocol-grpc-web/handler-factory.js): HTTP 200, the response headers,
 *     a body of the message envelope (when there is one) and the trailer envelope (flag 0x80,
 *     `grpc-status`, `grpc-message`, error metadata), each compressed past compressMinBytes when
 *     grpc-accept-encoding asked for it; decode failures answered INVALID_ARGUMENT as
 *     shared/api/decode-errors.ts rewrites them.
 *   - Connect unary (protocol-connect/handler-factory.js): the body read whole as `readAllBytes`
 *     reads it (content-length checked against readMaxBytes first, then the bytes received), the
 *     message or the JSON error with the code's HTTP status and the error's metadata as headers,
 *     trailers as `trailer-` headers, `content-length`, the body compressed past compressMinBytes
 *     when accept-encoding allows.
 * Requests are judged by the request gate first, as every RPC is (auth, deadline headers, body
 * deadline). Everything else goes to connect: JSON, `application/grpc-web-text`, compressed
 * requests, Connect GET, streaming methods (stream-lane.ts), unknown paths, CORS preflights
 * (OPTIONS), and any authority that is not a plain `host[:port]`. With `--cors-origin` set, every
 * answer carries the headers Fastify's CORS plugin adds (cors-headers.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as http2 from "node:http2";
import type { JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { fixGrpcStatus, isDecodeFailure } from "../../shared/api/decode-errors.js";
import { BodyHold } from "../request-bytes.js";
import {
  codeToHttpStatus,
  envelopeCompress,
  errorToJsonBytes,
  parseConnectTimeout,
  parseTimeout,
  setTrailerStatus,
  trailerFlag,
  trailerSerialize,
} from "./connect-internals.js";
import {
  closeUnfinishedRequest,
  composeInterceptors,
  frame,
  ignore,
  invokeUnary,
  readBody,
  readSingleMessage,
  remoteAddress,
  runHandler,
} from "./grpc-fast-lane.js";
import {
  createLaneRoutes,
  createLiveCalls,
  createNegotiator,
  FINISHED,
  type GrpcLaneOptions,
  headerValue,
  type LaneRoute,
  type MethodImplSpec,
  takeWebRequest,
  validateLaneOptions,
} from "./grpc-lane-common.js";
import { LaneContext, type LaneProtocol } from "./grpc-lane-context.js";

/** Options of {@link createWebLane}. */
export interface WebLaneOptions extends GrpcLaneOptions {
  /** connect's JSON options (Connect error bodies are JSON). */
  readonly jsonOptions?: Partial<JsonWriteOptions>;
}

/** The lane: records the routes, then takes the requests it can serve. */
export interface WebLane {
  /** Wraps a router: services registered through it are served by connect and by the lane. */
  record: ReturnType<typeof createLaneRoutes>["record"];
  /** Serves an HTTP/2 stream (h2c or TLS) and returns true, or returns false (nothing touched). */
  handleStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** Serves an HTTP/1.1 request and returns true, or returns false (nothing touched). */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether {@link WebLane.handleStream} would take this HTTP/2 request (it then counts its body's bytes itself). */
  takesStream(headers: http2.IncomingHttpHeaders): boolean;
  /** Whether {@link WebLane.handleRequest} would take this HTTP/1.1 request. */
  takesRequest(req: IncomingMessage): boolean;
  /** Calls taken so far. */
  readonly calls: number;
}

/** The trailer block of a gRPC-Web call that set no trailer: what `trailerSerialize` makes of the default. */
const GRPC_OK_TRAILER = new TextEncoder().encode("grpc-status: 0\r\n");

const GRPC_WEB: LaneProtocol = { name: "grpc-web", contentType: "application/grpc-web+proto", grpcStatusTrailer: true };
const CONNECT: LaneProtocol = { name: "connect", contentType: "application/proto", grpcStatusTrailer: false };

type UnarySpec = MethodImplSpec & { kind: "unary" };
type Route = LaneRoute<UnarySpec>;

/** How a call's answer reaches the client, and how its going away is noticed (HTTP/1.1 or HTTP/2). */
interface Exchange {
  readonly body: http2.ServerHttp2Stream | IncomingMessage;
  readonly remoteAddress: string | undefined;
  /** Where the call's going away is noticed ("close"): the HTTP/2 stream, or the HTTP/1.1 response. */
  readonly gone: GoneSource;
  respond(status: number, headers: Record<string, string | number>, body: Uint8Array): void;
}

/** The protocol of a request the lane may take (binary, uncompressed), or undefined. */
function protocolOf(headers: http2.IncomingHttpHeaders): LaneProtocol | undefined {
  const type = headers["content-type"];
  if (type === "application/grpc-web+proto" || type === "application/grpc-web") {
    const encoding = headers["grpc-encoding"];
    return encoding === undefined || encoding === "identity" ? GRPC_WEB : undefined;
  }
  if (type === "application/proto") {
    const encoding = headers["content-encoding"];
    return encoding === undefined || encoding === "identity" ? CONNECT : undefined;
  }
  return undefined;
}

/** Creates the lane; `record` the routes before serving. */
export function createWebLane(options: WebLaneOptions): WebLane {
  const opt = validateLaneOptions(options);
  const routes = createLaneRoutes(opt, (m): m is UnarySpec => m.kind === "unary");
  const live = createLiveCalls(options.shutdownSignal);
  const chain = composeInterceptors(runHandler, opt.interceptors);
  const jsonOptions = options.jsonOptions;
  const cors = options.cors;
  const budget = options.requestBytes;
  const negotiateGrpcWeb = createNegotiator(opt.acceptCompression, "grpc-accept-encoding");
  const negotiateConnect = createNegotiator(opt.acceptCompression, "accept-encoding");

  /** The route and protocol of a request this lane takes, or undefined. */
  const take = (
    method: string | undefined,
    path: string | undefined,
    authority: string | undefined,
    headers: http2.IncomingHttpHeaders,
  ) => takeWebRequest(routes.route, protocolOf, method, path, authority, headers);

  const handleStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean => {
    const authority = headers[":authority"];
    const path = headers[":path"];
    const taken = take(headers[":method"], path, authority, headers);
    if (taken === undefined) return false;
    lane.calls++;
    // An error while the handler runs (a reset during a long blocked call) must not crash the
    // process: "close" (onGone) ends the call.
    stream.on("error", ignore);
    const exchange: Exchange = {
      body: stream,
      remoteAddress: remoteAddress(stream),
      gone: stream,
      respond(status, out, body) {
        if (stream.destroyed || stream.closed) return;
        stream.on("error", ignore);
        // An answer given before the body was read (oversized): discard the rest, then end the stream.
        if (!stream.readableEnded) stream.resume();
        if (cors !== undefined) cors.apply(headers.origin, out);
        stream.respond({ ":status": status, ...out });
        stream.end(body, () => {
          if (!stream.readableEnded) closeUnfinishedRequest(stream);
        });
      },
    };
    void serve(taken[0], taken[1], headers, `http://${authority}${path}`, exchange);
    return true;
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    const authority = req.headers.host;
    const taken = take(req.method, req.url, authority, req.headers);
    if (taken === undefined) return false;
    lane.calls++;
    const exchange: Exchange = {
      body: req,
      remoteAddress: req.socket.remoteAddress,
      gone: res,
      respond(status, out, body) {
        if (res.destroyed) return;
        if (!req.complete) req.resume();
        if (cors !== undefined) cors.apply(req.headers.origin, out);
        res.writeHead(status, out);
        res.end(body);
      },
    };
    void serve(taken[0], taken[1], req.headers, `http://${authority}${req.url}`, exchange);
    return true;
  };

  async function serve(
    route: Route,
    protocol: LaneProtocol,
    headers: http2.IncomingHttpHeaders,
    url: string,
    exchange: Exchange,
  ): Promise<void> {
    const grpcWeb = protocol === GRPC_WEB;
    const timeout = grpcWeb
      ? parseTimeout(headerValue(headers["grpc-timeout"]), opt.maxTimeoutMs)
      : parseConnectTimeout(headerValue(headers["connect-timeout-ms"]), opt.maxTimeoutMs);
    const context = new LaneContext({
      spec: route.spec,
      service: route.service,
      headers,
      timeoutMs: timeout.timeoutMs,
      shutdownSignal: options.shutdownSignal,
      contextValues: options.contextValues?.(exchange.remoteAddress, exchange.body),
      live,
      protocol,
      url,
    });
    // A shared listener finding the call on the stream (or response), taken off it at "close":
    // no closure per call on an HTTP/2 stream, which Node keeps until a full GC.
    const gone = exchange.gone;
    gone[kWebCall] = context;
    gone.on("close", onWebCallGone);
    const hold = budget === undefined || timeout.error ? undefined : context.holdBody(new BodyHold(budget));
    if (grpcWeb) await serveGrpcWeb(route, context, headers, timeout.error, exchange, hold);
    else await serveConnect(route, context, headers, timeout.error, exchange, hold);
    context.finished = true;
  }

  async function serveGrpcWeb(
    route: Route,
    context: LaneContext,
    headers: http2.IncomingHttpHeaders,
    timeoutError: ConnectError | undefined,
    exchange: Exchange,
    hold: BodyHold | undefined,
  ): Promise<void> {
    const compression = negotiateGrpcWeb(headerValue(headers["grpc-accept-encoding"]));
    if (compression.response) context.setResponseEncoding(compression.response.name);
    let message: Uint8Array | undefined;
    try {
      if (timeoutError) throw timeoutError;
      const input = await readSingleMessage(exchange.body, opt.readMaxBytes, route.parse, hold);
      const output = await invokeUnary(chain, context, input);
      if (hold?.refusal !== undefined) throw new ConnectError(hold.refusal, Code.ResourceExhausted);
      message = route.serialize(output);
    } catch (error) {
      setTrailerStatus(context.responseTrailer, asConnectError(error));
      // As shared/api/decode-errors.ts rewrites it on connect's path: undecodable input is INVALID_ARGUMENT.
      fixGrpcStatus(context.responseTrailer);
    }
    context.abort(FINISHED); // stops the deadline timer and leaves the shutdown set
    // Nobody touched the trailers: they are the default `grpc-status: 0`, as trailerSerialize writes it.
    const untouched = !context.hasCustomMetadata();
    const trailer = untouched ? GRPC_OK_TRAILER : trailerSerialize(context.responseTrailer);
    const encoding = compression.response;
    const minBytes = opt.compressMinBytes;
    let body: Buffer;
    if (encoding && ((message?.byteLength ?? 0) >= minBytes || trailer.byteLength >= minBytes)) {
      // Each envelope compressed past compressMinBytes, as connect writes them.
      const parts: Buffer[] = [];
      for (const data of message === undefined ? [trailer] : [message, trailer]) {
        const env = await envelopeCompress({ flags: data === trailer ? trailerFlag : 0, data }, encoding, minBytes);
        parts.push(frame(env.flags, env.data));
      }
      body = Buffer.concat(parts);
    } else body = envelopes(message, trailer);
    exchange.respond(200, context.responseHeaders(), body);
  }

  async function serveConnect(
    route: Route,
    context: LaneContext,
    headers: http2.IncomingHttpHeaders,
    timeoutError: ConnectError | undefined,
    exchange: Exchange,
    hold: BodyHold | undefined,
  ): Promise<void> {
    const compression = negotiateConnect(headerValue(headers["accept-encoding"]));
    let status = 200;
    let body: Uint8Array;
    try {
      if (timeoutError) throw timeoutError;
      const bytes = await readBody(exchange.body, opt.readMaxBytes, headerValue(headers["content-length"]), hold);
      const output = await invokeUnary(chain, context, route.parse(bytes));
      if (hold?.refusal !== undefined) throw new ConnectError(hold.refusal, Code.ResourceExhausted);
      body = route.serialize(output);
    } catch (e) {
      let error = asConnectError(e);
      // As shared/api/decode-errors.ts rewrites it on connect's path: undecodable input is INVALID_ARGUMENT.
      if (error.code === Code.Internal && isDecodeFailure(error.rawMessage))
        error = new ConnectError(error.rawMessage, Code.InvalidArgument, error.metadata);
      status = codeToHttpStatus(error.code);
      context.responseHeader.set("content-type", "application/json");
      error.metadata.forEach((value, key) => {
        context.responseHeader.set(key, value);
      });
      body = errorToJsonBytes(error, jsonOptions);
    }
    context.abort(FINISHED);
    if (compression.response && body.byteLength >= opt.compressMinBytes) {
      body = await compression.response.compress(body);
      context.responseHeader.set("content-encoding", compression.response.name);
    }
    exchange.respond(status, connectHeaders(context, body.byteLength), body);
  }

  const lane = {
    record: routes.record,
    handleStream,
    handleRequest,
    takesStream: (headers: http2.IncomingHttpHeaders) =>
      take(headers[":method"], headers[":path"], headers[":authority"], headers) !== undefined,
    takesRequest: (req: IncomingMessage) => take(req.method, req.url, req.headers.host, req.headers) !== undefined,
    calls: 0,
  };
  return lane;
}

/** The message envelope (when there is one) then the trailer envelope, in one buffer. */
function envelopes(message: Uint8Array | undefined, trailer: Uint8Array): Buffer {
  const m = message === undefined ? 0 : 5 + message.byteLength;
  const b = Buffer.allocUnsafe(m + 5 + trailer.byteLength);
  if (message !== undefined) {
    b[0] = 0;
    b.writeUInt32BE(message.byteLength, 1);
    b.set(message, 5);
  }
  b[m] = trailerFlag;
  b.writeUInt32BE(trailer.byteLength, m + 1);
  b.set(trailer, m + 5);
  return b;
}

/** Where a web lane call is found by its "close" listener. */
const kWebCall: unique symbol = Symbol("memorabilia.webLaneCall");
type GoneSource = (http2.ServerHttp2Stream | ServerResponse) & { [kWebCall]?: LaneContext | undefined };

/** The call's stream (or response) closed: an unfinished call was abandoned by the client. */
function onWebCallGone(this: GoneSource): void {
  const context = this[kWebCall];
  if (context === undefined) return;
  this[kWebCall] = undefined;
  context.abort(context.finished ? FINISHED : new ConnectError("the operation was aborted", Code.Canceled));
}

/** A thrown value as connect's handlers turn it into an error. */
function asConnectError(error: unknown): ConnectError {
  return error instanceof ConnectError
    ? error
    : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/**
 * A Connect unary response's headers as connect writes them: the response headers, the trailers
 * as `trailer-` headers (connect's `trailerMux`), and content-length, in `Headers` order (sorted).
 */
function connectHeaders(context: LaneContext, length: number): Record<string, string | number> {
  // Nothing but the defaults (most calls): already in sorted order.
  if (!context.hasCustomMetadata()) return { "content-length": String(length), "content-type": CONNECT.contentType };
  const header = context.responseHeaders();
  const trailer = context.outgoingTrailers();
  const entries: [string, string | number][] = Object.entries(header) as [string, string | number][];
  for (const [k, v] of Object.entries(trailer)) entries.push([`trailer-${k}`, v as string]);
  entries.push(["content-length", String(length)]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, string | number> = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}
