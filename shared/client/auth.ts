/**
 * The bearer-token interceptor: every call carries `Authorization: Bearer <token>` (gRPC
 * metadata, gRPC-Web and Connect headers alike).
 */
import type { Interceptor } from "@connectrpc/connect";

/**
 * An interceptor that sends `token` as a bearer token on every call. The token is taken from a
 * function when given one, so a console can change it without building a new client.
 *
 * @example
 * ```ts
 * const transport = createConnectTransport({ baseUrl, interceptors: [bearerAuth(token)] });
 * ```
 */
export function bearerAuth(token: string | (() => string | undefined)): Interceptor {
  return (next) => (req) => {
    const value = typeof token === "function" ? token() : token;
    if (value) req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}
