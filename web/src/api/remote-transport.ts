import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { loadToken } from "./token.js";

/** Adds `Authorization: Bearer <token>` to every call while this tab holds a token. */
const bearer: Interceptor = (next) => (req) => {
  const token = loadToken();
  if (token) req.header.set("Authorization", `Bearer ${token}`);
  return next(req);
};

/** gRPC-Web (binary) to the server that served this page, with the session's token. */
export function createRemoteTransport(baseUrl: string = location.origin): Transport {
  return createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors: [bearer] });
}
