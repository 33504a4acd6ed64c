import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * Bad request bytes are the caller's fault: INVALID_ARGUMENT, not INTERNAL.
 *
 * connect-es answers a request message that fails to decode (`parse binary: …`) or to
 * decompress (`decompression failed`) with INTERNAL (HTTP 500 in Connect), which tells clients
 * and dashboards that the server is broken. The decode happens inside the protocol handler, before
 * any interceptor, so this wraps each router handler and rewrites exactly those errors in the
 * response, per protocol: the gRPC status (headers or trailers), the gRPC-Web trailer frame,
 * and the Connect error body or end-of-stream frame. Everything else passes through untouched.
 */

// "received compressed envelope…": a compressed flag on a request with no grpc-encoding (a client
// error, per the gRPC spec a protocol error: not INTERNAL, which SECURITY.md says is never answered).
const DECODE_FAILURE = /^(parse binary|decompression failed|received compressed envelope)/;
/** The longest percent-encoded grpc-message sent. */
const MAX_GRPC_MESSAGE = 8192;

/** A grpc-message cut to about a quarter of the limit in characters, re-encoded whole (no split escape). */
function clipGrpcMessage(message: string): string {
  let text: string;
  try {
    text = decodeURIComponent(message);
  } catch {
    return message.slice(0, MAX_GRPC_MESSAGE).replace(/%[0-9A-Fa-f]?$/, "");
  }
  return encodeURIComponent(`${text.slice(0, MAX_GRPC_MESSAGE >> 2)}...`);
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decodedMessage(value: string | null): string {
  if (value === null) return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** True for a request message that failed to decode or decompress: the client's fault, not a server error. */
export function isDecodeFailure(message: string): boolean {
  return DECODE_FAILURE.test(message);
}

/**
 * Rewrites a gRPC status in `headers` or trailers (grpc-status 13 with a decode-failure message
 * becomes 3, INVALID_ARGUMENT). Also used by the Node server's gRPC fast lane.
 */
export function fixGrpcStatus(headers: Headers | undefined): void {
  // A header block past HTTP/2's limits is refused by the peer: the answer would be lost with its
  // status. Messages echoing input are clipped at the source (echoInput); this is the safety net.
  const message = headers?.get("grpc-message");
  if (message && message.length > MAX_GRPC_MESSAGE) headers?.set("grpc-message", clipGrpcMessage(message));
  if (headers?.get("grpc-status") !== "13") return;
  if (DECODE_FAILURE.test(decodedMessage(headers.get("grpc-message")))) headers.set("grpc-status", "3");
}

/** Rewrites a gRPC-Web trailer frame or a Connect end-stream frame carrying a decode failure. */
function fixFrame(chunk: Uint8Array): Uint8Array {
  if (chunk.length < 5) return chunk;
  const flags = chunk[0] as number;
  const text = decoder.decode(chunk.subarray(5));
  let replaced: string | undefined;
  if (flags & 0x80) {
    // gRPC-Web trailers: "grpc-status: 13\r\ngrpc-message: parse%20binary…\r\n"
    const message = /grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1] ?? "";
    if (/grpc-status:\s*13\b/i.test(text) && DECODE_FAILURE.test(decodedMessage(message))) {
      replaced = text.replace(/grpc-status:\s*13\b/i, "grpc-status: 3");
    }
  } else if (flags & 0x02 && text.includes('"internal"')) {
    // Connect end-of-stream: {"error":{"code":"internal","message":"parse binary: …"}}
    try {
      const end = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (end.error?.code === "internal" && DECODE_FAILURE.test(end.error.message ?? "")) {
        end.error.code = "invalid_argument";
        replaced = JSON.stringify(end);
      }
    } catch {
      return chunk;
    }
  }
  if (replaced === undefined) return chunk;
  const payload = encoder.encode(replaced);
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

async function* mapBody(res: UniversalServerResponse, body: AsyncIterable<Uint8Array>, framed: boolean) {
  for await (const chunk of body) yield framed ? fixFrame(chunk) : chunk;
  // gRPC trailers are filled in while the body is produced.
  fixGrpcStatus(res.trailer);
}

async function fixConnectUnary(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  if (res.body) for await (const c of res.body) chunks.push(c);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  let body = bytes;
  let status = res.status;
  try {
    const err = JSON.parse(decoder.decode(bytes)) as { code?: string; message?: string };
    if (err.code === "internal" && DECODE_FAILURE.test(err.message ?? "")) {
      err.code = "invalid_argument";
      body = encoder.encode(JSON.stringify(err));
      status = 400;
      res.header?.set("content-length", String(body.length));
    }
  } catch {
    // not a JSON error body: pass it on as it was
  }
  return {
    ...res,
    status,
    body: (async function* () {
      yield body;
    })(),
  };
}

/** Wraps one handler (see the module comment). */
export function mapDecodeErrors(handler: UniversalHandler): UniversalHandler {
  const wrapped = (async (req) => {
    const res = await handler(req);
    const contentType = res.header?.get("content-type") ?? "";
    if (contentType.startsWith("application/grpc-web")) {
      fixGrpcStatus(res.header);
      return res.body ? { ...res, body: mapBody(res, res.body, true) } : res;
    }
    if (contentType.startsWith("application/grpc")) {
      fixGrpcStatus(res.header);
      return res.body ? { ...res, body: mapBody(res, res.body, false) } : res;
    }
    if (contentType.startsWith("application/connect+")) {
      return res.body ? { ...res, body: mapBody(res, res.body, true) } : res;
    }
    if (res.status === 500 && contentType.startsWith("application/json")) return fixConnectUnary(res);
    return res;
  }) as UniversalHandler;
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

/**
 * Applies {@link mapDecodeErrors} to every handler registered on `router` so far. Call it last in
 * a `routes` function: adapters (connect-fastify, connect-node, the Fetch handler) read
 * `router.handlers` after `routes` returns.
 */
export function mapRouterDecodeErrors(router: ConnectRouter): void {
  const handlers = router.handlers;
  for (let i = 0; i < handlers.length; i++) handlers[i] = mapDecodeErrors(handlers[i] as UniversalHandler);
}
