import type { Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { bearerAuth } from "../../../shared/client/index.js";
import type { HealthMonitor } from "./server-health.js";
import { loadToken } from "./token.js";

/**
 * gRPC-Web (binary) to the server that served this page, with the session's token (if any) and,
 * when given, the health monitor's interceptor.
 */
export function createRemoteTransport(baseUrl: string = location.origin, health?: HealthMonitor): Transport {
  return createGrpcWebTransport({
    baseUrl,
    useBinaryFormat: true,
    interceptors: [bearerAuth(() => loadToken() ?? undefined), ...(health ? [health.interceptor()] : [])],
  });
}
