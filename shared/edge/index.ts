/**
 * `memorabilia/edge`: the Memorabilia API as a Fetch handler for edge runtimes, and in-process
 * inside a page. Runtime adapters live beside it: `./deno.js`, `./bun.js`, `./cloudflare.js`.
 */
export { type Access, argvAccess, commandAccess, rpcAccess } from "./access.js";
export {
  authInterceptor,
  bearerToken,
  constantTimeEqual,
  type EdgeToken,
  type Identity,
  kIdentity,
  type RoleName,
  registerAuthService,
} from "./auth.js";
export { type CorsPolicy, createCorsPolicy } from "./cors.js";
export {
  createEdgeApp,
  DEFAULT_MAX_TIMEOUT_MS,
  DEFAULT_READ_MAX_BYTES,
  type EdgeApp,
  type EdgeAppOptions,
} from "./edge-app.js";
export { createEmbeddedTransport, type EmbeddedTransportOptions } from "./embedded.js";
export { type EdgeEnv, optionsFromEnv, parseTokens } from "./env-config.js";
