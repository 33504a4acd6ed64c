/**
 * The CORS headers @fastify/cors (11.4.3) adds to an RPC's answer (not a preflight: OPTIONS stays
 * with Fastify), for the options the server gives it, so the lanes can answer browser requests
 * while `--cors-origin` is set. The plugin's logic lives in a Fastify hook and is not exported;
 * this reproduces its `addCorsHeadersHandler`/`addCorsHeaders` for the option shapes the server
 * uses — `origin: true` (reflect any origin) or a list of exact origins, an `exposedHeaders`
 * list, no credentials — and `cors-headers.test.ts` compares every case with the plugin itself
 * (and fails when its version moves off the pin):
 *   - `Vary: Origin`, on every answer (the origin option is not a fixed string);
 *   - `Access-Control-Allow-Origin`: the request's `Origin` when allowed (any with `true`; one of
 *     the list, compared exactly, otherwise), absent when not allowed or absent;
 *   - `Access-Control-Expose-Headers`: the list joined with ", ".
 */

/** The options the server hands @fastify/cors (app.ts): the one source of both paths' headers. */
export interface CorsOptions {
  /** `true`: any origin (reflected); otherwise the allowed origins, compared exactly. */
  readonly origin: true | string[];
  readonly methods: string[];
  readonly allowedHeaders: string[];
  readonly exposedHeaders: string[];
  readonly maxAge: number;
}

/** Adds the CORS headers of an answer (see the module comment). */
export interface CorsHeaders {
  /** Adds the headers for a request from `origin` (undefined: none) to a response's `headers`. */
  apply(origin: string | string[] | undefined, headers: Record<string, string | number | string[]>): void;
}

/** The @fastify/cors options of `--cors-origin` values (`*`: any origin). */
export function corsOptions(origins: readonly string[], options: Omit<CorsOptions, "origin">): CorsOptions {
  return { ...options, origin: origins.includes("*") ? true : [...origins] };
}

/** Creates the headers logic of `options`. */
export function createCorsHeaders(options: CorsOptions): CorsHeaders {
  const expose = options.exposedHeaders.join(", ");
  const allowed = options.origin === true ? undefined : new Set(options.origin);
  return {
    apply(origin, headers) {
      // Node joins repeated Origin headers with ", " (HTTP/1.1) or gives a list (HTTP/2): as Fastify reads it.
      const o = Array.isArray(origin) ? origin.join(", ") : origin;
      headers.vary = "Origin";
      if (o !== undefined && o !== "" && (allowed === undefined || allowed.has(o)))
        headers["access-control-allow-origin"] = o;
      headers["access-control-expose-headers"] = expose;
    },
  };
}
