/**
 * Bun host of the edge app (also the documented example): configured by MEMORABILIA_* variables,
 * listens on 127.0.0.1:$PORT (0 picks a free port) and prints the address it got.
 */
import { serveBun } from "../../../shared/edge/bun.js";
import { createEdgeApp } from "../../../shared/edge/edge-app.js";
import { optionsFromEnv } from "../../../shared/edge/env-config.js";

declare const Bun: { env: Record<string, string | undefined> };

const app = createEdgeApp(optionsFromEnv(Bun.env));
const server = serveBun(app, { port: Number(Bun.env.PORT ?? "7379"), hostname: Bun.env.HOST ?? "127.0.0.1" });
console.log(`memorabilia edge (bun) listening on http://${server.hostname}:${server.port}`);
