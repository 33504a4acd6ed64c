/**
 * Deno host of the edge app (also the documented example): configured by MEMORABILIA_* variables,
 * listens on 127.0.0.1:$PORT (0 picks a free port) and prints the address it got.
 */

import { serveDeno } from "../../../shared/edge/deno.js";
import { createEdgeApp } from "../../../shared/edge/edge-app.js";
import { optionsFromEnv } from "../../../shared/edge/env-config.js";

declare const Deno: { env: { toObject(): Record<string, string>; get(name: string): string | undefined } };

const app = createEdgeApp(optionsFromEnv(Deno.env.toObject()));
serveDeno(app, {
  port: Number(Deno.env.get("PORT") ?? "7379"),
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  onListen: ({ hostname, port }) => console.log(`memorabilia edge (deno) listening on http://${hostname}:${port}`),
});
