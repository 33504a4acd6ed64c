/**
 * Deno adapter: serves an {@link EdgeApp} with `Deno.serve` and runs the store's sweep while it
 * serves.
 *
 * @example
 * ```ts
 * // main.ts — deno run --allow-net --allow-env main.ts
 * import { createEdgeApp } from "memorabilia/edge";
 * import { serveDeno } from "memorabilia/edge/deno";
 * serveDeno(createEdgeApp(), { port: 7379 });
 * ```
 */
import type { EdgeApp } from "./edge-app.js";

/** The slice of the Deno namespace used here. */
interface DenoServer {
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}
declare const Deno: {
  serve(
    options: {
      port?: number;
      hostname?: string;
      signal?: AbortSignal;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Promise<Response>,
  ): DenoServer;
};

/** Options of {@link serveDeno}. */
export interface ServeDenoOptions {
  /** @default 7379 (0 picks a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" (loopback: listening wider is an explicit choice) */
  readonly hostname?: string;
  /** Stops the server when aborted. */
  readonly signal?: AbortSignal;
  /** Called once listening, with the actual address. */
  readonly onListen?: (address: { hostname: string; port: number }) => void;
}

/** Starts the store's sweep and serves `app`; the sweep stops when the server has finished. */
export function serveDeno(app: EdgeApp, options: ServeDenoOptions = {}): DenoServer {
  app.store.start();
  const server = Deno.serve(
    {
      port: options.port ?? 7379,
      hostname: options.hostname ?? "127.0.0.1",
      signal: options.signal,
      onListen: options.onListen ?? (() => {}),
    },
    app.fetch,
  );
  server.finished.then(() => app.store.stop());
  return server;
}
