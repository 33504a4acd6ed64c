/**
 * CORS for the edge handler: same origin unless origins are listed (`"*"` allows any). Preflights
 * are answered here; actual responses get the allow/expose headers the Connect and gRPC-Web
 * protocols need.
 */
import { cors } from "@connectrpc/connect";

/** Headers a browser client may send beyond Connect's and gRPC-Web's own. */
const EXTRA_ALLOWED = ["Authorization"];
/** Headers a browser client may read beyond the protocols' own. */
const EXTRA_EXPOSED = ["Memorabilia-Error-Code"];

/** The CORS policy of one handler. */
export interface CorsPolicy {
  /** The response to a preflight (`OPTIONS` with `Access-Control-Request-Method`), or undefined for other requests. */
  preflight(request: Request): Response | undefined;
  /** Adds the CORS headers an allowed origin gets to `response` (in place) and returns it. */
  decorate(request: Request, response: Response): Response;
}

/** Creates the policy for `origins` (exact origins such as `https://console.example`, or `"*"`). */
export function createCorsPolicy(origins: readonly string[]): CorsPolicy {
  const any = origins.includes("*");
  const allowed = (origin: string | null): origin is string => origin !== null && (any || origins.includes(origin));
  return {
    preflight(request) {
      if (request.method !== "OPTIONS" || !request.headers.has("access-control-request-method")) return undefined;
      const origin = request.headers.get("origin");
      const headers = new Headers({ Vary: "Origin" });
      if (allowed(origin)) {
        headers.set("Access-Control-Allow-Origin", origin);
        headers.set("Access-Control-Allow-Methods", cors.allowedMethods.join(", "));
        headers.set("Access-Control-Allow-Headers", [...cors.allowedHeaders, ...EXTRA_ALLOWED].join(", "));
        headers.set("Access-Control-Max-Age", "7200");
      }
      // Without the allow headers the browser refuses the actual request: same origin only.
      return new Response(null, { status: 204, headers });
    },
    decorate(request, response) {
      const origin = request.headers.get("origin");
      if (allowed(origin)) {
        response.headers.set("Access-Control-Allow-Origin", origin);
        response.headers.set("Access-Control-Expose-Headers", [...cors.exposedHeaders, ...EXTRA_EXPOSED].join(", "));
        response.headers.append("Vary", "Origin");
      }
      return response;
    },
  };
}
