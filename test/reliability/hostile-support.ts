/**
 * Helpers of the hostile-client suites: the bundled server (`dist/server.mjs`, what `npm start`
 * runs) started by PID on a free loopback port, and a second, well-behaved client whose
 * grpc.health.v1 Health.Check must keep answering while an attack runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const BUNDLE = "dist/server.mjs";

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds `dist/server.mjs` unless it is newer than every server/ and shared/ source. */
export function ensureBundle(): string {
  const built = existsSync(BUNDLE) ? statSync(BUNDLE).mtimeMs : 0;
  if (built < Math.max(newestSource("server"), newestSource("shared")))
    execFileSync("npm", ["run", "--silent", "build:server"], { stdio: "inherit" });
  return BUNDLE;
}

/** Starts the bundled server with `args` (on 127.0.0.1, port 0). Stop it with `stop()`. */
export async function startBundledServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return startServerProcess(args, env, ensureBundle());
}

/** What a {@link HealthProbe} saw. */
export interface ProbeReport {
  readonly checks: number;
  readonly failures: string[];
  /** The slowest Health.Check, milliseconds. */
  readonly worstMs: number;
}

/** A second client checking health in a loop on its own HTTP/2 connection. */
export interface HealthProbe {
  /** Stops the loop (after the check in flight) and reports. */
  stop(): Promise<ProbeReport>;
}

/**
 * Starts a well-behaved client calling Health.Check every `everyMs` on its own connection, each
 * with a `deadlineMs` deadline; every check must answer SERVING. Start it before the attack.
 */
export function startHealthProbe(url: string, everyMs = 200, deadlineMs = 5_000): HealthProbe {
  const transport = createGrpcTransport({ baseUrl: url });
  const health = createClient(Health, transport);
  let running = true;
  let checks = 0;
  let worstMs = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await health.check({ service: "" }, { timeoutMs: deadlineMs });
        if (r.status !== HealthCheckResponse_ServingStatus.SERVING) failures.push(`status ${r.status}`);
      } catch (e) {
        const ce = ConnectError.from(e);
        failures.push(`${Code[ce.code]}: ${ce.rawMessage}`);
      }
      checks++;
      worstMs = Math.max(worstMs, performance.now() - t0);
      if (running) await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { checks, failures, worstMs: Math.round(worstMs) };
    },
  };
}

/** Resolves when `predicate` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The value of a Prometheus series in a /metrics text (0 when absent). */
export function metricValue(text: string, series: string): number {
  for (const line of text.split("\n")) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return 0;
}
