/**
 * Bun adapter: serves an {@link EdgeApp} with `Bun.serve` and runs the store's sweep while it
 * serves.
 *
 * @example
 * ```ts
 * // main.ts — bun run main.ts
 * import { createEdgeApp } from "memorabilia/edge";
 * import { serveBun } from "memorabilia/edge/bun";
 * serveBun(createEdgeApp(), { port: 7379 });
 * ```
 */
import type { EdgeApp } from "./edge-app.js";

/** The slice of a Bun server used here. */
export interface BunServer {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): void;
}
declare const Bun: {
  serve(options: {
    port?: number;
    hostname?: string;
    idleTimeout?: number;
    fetch: (request: Request) => Promise<Response>;
  }): BunServer;
};

/** Options of {@link serveBun}. */
export interface ServeBunOptions {
  /** @default 7379 (0 picks a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" (loopback: listening wider is an explicit choice) */
  readonly hostname?: string;
  /**
   * Seconds a connection may stay silent; 0 disables it. Bun's default (10 s) would cut idle
   * Watch streams between heartbeats. @default 0
   */
  readonly idleTimeout?: number;
}

/** A Bun server whose `stop` also stops the store's sweep. */
export function serveBun(app: EdgeApp, options: ServeBunOptions = {}): BunServer {
  app.store.start();
  const server = Bun.serve({
    port: options.port ?? 7379,
    hostname: options.hostname ?? "127.0.0.1",
    idleTimeout: options.idleTimeout ?? 0,
    fetch: app.fetch,
  });
  return {
    get port() {
      return server.port;
    },
    get hostname() {
      return server.hostname;
    },
    stop(closeActiveConnections) {
      server.stop(closeActiveConnections);
      app.store.stop();
    },
  };
}
