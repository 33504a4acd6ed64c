import type { Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { bearerAuth } from "../../../shared/client/index.js";
import { loadToken } from "./token.js";

/** gRPC-Web (binary) to the server that served this page, with the session's token (if any). */
export function createRemoteTransport(baseUrl: string = location.origin): Transport {
  return createGrpcWebTransport({
    baseUrl,
    useBinaryFormat: true,
    interceptors: [bearerAuth(() => loadToken() ?? undefined)],
  });
}
