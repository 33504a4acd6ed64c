/**
 * The one HTTP/2 test client: a request on a session (given, or opened for the request and closed
 * after it), resolved when the stream closes with everything the client saw — response headers,
 * trailers, body bytes, the RST_STREAM code and the gRPC status (trailers, or a trailers-only
 * response). Tests that compare two servers delete `date` themselves or use {@link withoutDate}.
 */
import * as http2 from "node:http2";

/** What one HTTP/2 request got back. */
export interface H2Answer {
  /** Response headers, `:status` included (empty when the stream closed without any). */
  headers: http2.IncomingHttpHeaders;
  /** Trailers (empty when none came). */
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** The stream's RST_STREAM code once closed (NO_ERROR, 0, when it ended normally). */
  rstCode: number;
  /** grpc-status from the trailers, or from a trailers-only response's headers. */
  grpcStatus: string | undefined;
}

/** Options of {@link h2Request}. */
export interface H2RequestOptions {
  /** Session options when a URL is given (`ca` for TLS). */
  readonly connect?: http2.SecureClientSessionOptions;
}

/** One request: `headers` (pseudo-headers included) and an optional body, ending the request. */
export function h2Request(
  target: string | http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array,
  options: H2RequestOptions = {},
): Promise<H2Answer> {
  const own = typeof target === "string";
  const session = own ? http2.connect(target, options.connect ?? {}) : target;
  return new Promise((resolve, reject) => {
    if (own) session.on("error", reject);
    const s = session.request(headers);
    const answer: H2Answer = { headers: {}, trailers: {}, body: Buffer.alloc(0), rstCode: 0, grpcStatus: undefined };
    const chunks: Buffer[] = [];
    s.on("response", (h) => {
      answer.headers = { ...h };
    });
    s.on("trailers", (t) => {
      answer.trailers = { ...t };
    });
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", () => {});
    s.on("close", () => {
      answer.body = Buffer.concat(chunks);
      answer.rstCode = s.rstCode;
      const status = answer.trailers["grpc-status"] ?? answer.headers["grpc-status"];
      answer.grpcStatus = status === undefined ? undefined : String(status);
      if (own) session.close();
      resolve(answer);
    });
    s.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}

/** A gRPC POST of an already framed body to `path`, with `extra` headers. */
export function grpcRequest(
  target: string | http2.ClientHttp2Session,
  path: string,
  body: Uint8Array,
  extra: http2.OutgoingHttpHeaders = {},
  options: H2RequestOptions = {},
): Promise<H2Answer> {
  return h2Request(
    target,
    { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...extra },
    body,
    options,
  );
}

/** A gRPC envelope: flags, big-endian length, message. */
export function grpcFrame(message: Uint8Array, flags = 0): Buffer {
  const b = Buffer.alloc(5 + message.length);
  b[0] = flags;
  b.writeUInt32BE(message.length, 1);
  b.set(message, 5);
  return b;
}

/** Headers without `date` (it differs between two servers answering the same request). */
export function withoutDate(headers: http2.IncomingHttpHeaders): http2.IncomingHttpHeaders {
  const { date: _date, ...rest } = headers;
  return rest;
}
