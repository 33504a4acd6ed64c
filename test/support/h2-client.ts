/**
 * The one HTTP/2 test client.
 *
 * - {@link openH2Session}: a session a test reuses for many requests, with its `error` event
 *   handled (ignored, or handed to the test), so a refused or reset connection never becomes an
 *   uncaught exception that kills the run; {@link closeH2Session} closes it and resolves once it
 *   is closed, destroying it if it has not closed within a bound (a server that never ends its
 *   streams cannot hang the test's cleanup); {@link withH2Session} does both around a test body.
 * - {@link h2Request}: a request on a session (given, or opened for the request and closed after
 *   it), resolved when the stream closes with everything the client saw — response headers,
 *   trailers, body bytes, the RST_STREAM code and the gRPC status (trailers, or a trailers-only
 *   response). Tests that compare two servers delete `date` themselves or use {@link withoutDate}.
 *
 * Every test that speaks HTTP/2 to a server opens its sessions here (tests of raw frames, limits
 * and settings use the session itself: this only owns opening, errors and closing).
 */
import * as http2 from "node:http2";

/** Options of {@link openH2Session}. */
export interface H2SessionOptions {
  /** Session options (`ca` and `servername` for TLS, `settings`…). */
  readonly connect?: http2.SecureClientSessionOptions;
  /**
   * Told of each session error (a promise's `reject`, say). Default: ignored — a request on a
   * failed session fails on its own stream, which is where tests look.
   */
  readonly onError?: (error: Error) => void;
}

/** Opens an HTTP/2 session to `url` (http: prior knowledge, https: ALPN h2) with its errors handled. */
export function openH2Session(url: string | URL, options: H2SessionOptions = {}): http2.ClientHttp2Session {
  const session = http2.connect(url, options.connect ?? {});
  session.on("error", options.onError ?? ignore);
  return session;
}

function ignore(): void {}

/**
 * Closes `session` gracefully (its open streams may finish) and resolves once it has closed; past
 * `timeoutMs` it is destroyed instead. Resolves at once for a session already closed.
 */
export function closeH2Session(session: http2.ClientHttp2Session, timeoutMs = 5_000): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => session.destroy(), timeoutMs);
    session.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    if (!session.closed) session.close();
  });
}

/** Runs `use` with a session opened to `url`, closed (see {@link closeH2Session}) however `use` ends. */
export async function withH2Session<T>(
  url: string | URL,
  use: (session: http2.ClientHttp2Session) => Promise<T>,
  options: H2SessionOptions = {},
): Promise<T> {
  const session = openH2Session(url, options);
  try {
    return await use(session);
  } finally {
    await closeH2Session(session);
  }
}

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
  return new Promise((resolve, reject) => {
    const session = own ? openH2Session(target, { connect: options.connect, onError: reject }) : target;
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
