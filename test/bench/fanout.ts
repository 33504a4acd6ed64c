/**
 * `npm run bench -- --only=fanout`: what Watch streams cost a writer (issue 12 item 6). A
 * `--transport fast` and a `--transport connect` server; on each, writes (SET, 8 in flight, raw
 * HTTP/2 gRPC) with no Watch stream open and with 1,000 open (`*`, held by a child that reads
 * every byte without decoding: test/reliability/children/watchers-child.ts `raw`), while a
 * Health.Check runs back to back beside the writer (its ops/s is 1 / its latency). Rounds
 * interleave the four targets, the first rotating per round; server CPU per write is measured
 * from /proc, so the ratios hold under load. The slowest Health.Check of each target goes to the
 * notes.
 */
import { spawn } from "node:child_process";
import * as http2 from "node:http2";
import { createInterface } from "node:readline";
import { create, toBinary } from "@bufbuild/protobuf";
import { HealthCheckRequestSchema } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { bundleEntry } from "./bundle.js";
import { type LoadBounds, timedLoad } from "./load.js";
import { type Started, startMemorabilia } from "./processes.js";
import type { Sample } from "./stats.js";

/** Sizes of the fan-out part. */
export interface FanoutBenchOptions {
  readonly rounds: number;
  /** Watch streams open in the loaded targets. */
  readonly watchers: number;
  readonly bounds: LoadBounds;
  readonly onProgress: (what: string) => void;
  readonly notes: string[];
}

/** The group of this part's rows. */
export const FANOUT_GROUP = "fanout";

const frame = (m: Uint8Array): Buffer => {
  const b = Buffer.alloc(5 + m.length);
  b.writeUInt32BE(m.length, 1);
  b.set(m, 5);
  return b;
};
const SET = frame(
  toBinary(SetRequestSchema, create(SetRequestSchema, { key: "fanout:k", value: Buffer.from("vvvvvvvv") })),
);
const CHECK = frame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {})));

/** One unary gRPC call; resolves 1 on grpc-status 0. */
function grpcCall(session: http2.ClientHttp2Session, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let status: string | undefined;
    s.on("response", (h) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
    });
    s.on("trailers", (t) => {
      status = String(t["grpc-status"]);
    });
    s.on("data", () => {});
    s.on("end", () => (status === "0" ? resolve(1) : reject(new Error(`grpc-status ${status}`))));
    s.on("error", reject);
    s.end(body);
  });
}

/** `n` raw-reading Watch streams held by a child; resolves once all are open. */
async function openWatchers(url: string, n: number): Promise<() => Promise<void>> {
  const entry = bundleEntry("test/reliability/children/watchers-child.ts", "watchers-child");
  const child = spawn(process.execPath, [entry, url, String(n), "raw"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (line) =>
      line === "ready" ? resolve() : reject(new Error(line)),
    );
    child.once("exit", (code) => reject(new Error(`watchers child exited with ${code}`)));
  });
  return async () => {
    child.kill("SIGKILL");
    await exited;
  };
}

/** Runs the part; returns its samples (group {@link FANOUT_GROUP}). */
export async function runFanout(options: FanoutBenchOptions): Promise<Sample[]> {
  const started: Started[] = [];
  const sessions: http2.ClientHttp2Session[] = [];
  const connect = (url: string) => {
    const s = http2.connect(url);
    s.on("error", () => {});
    sessions.push(s);
    return s;
  };
  try {
    options.onProgress("fan-out: starting a fast and a connect server");
    const servers: Record<string, Started> = {};
    for (const mode of ["fast", "connect"]) {
      const s = await startMemorabilia([
        "--transport",
        mode,
        "--max-streams",
        String(options.watchers + 100),
        "--max-streams-per-connection",
        "256",
      ]);
      started.push(s);
      servers[mode] = s;
    }
    const targets: [string, number][] = [];
    for (const n of [0, options.watchers]) for (const mode of ["fast", "connect"]) targets.push([mode, n]);
    const samples: Sample[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const [mode, n] = targets[(k + round) % targets.length] as [string, number];
        const server = servers[mode] as Started;
        const name = `${mode}: ${n} Watch streams`;
        options.onProgress(`fan-out: ${name} (round ${round + 1}/${options.rounds})`);
        let close: (() => Promise<void>) | undefined;
        try {
          if (n > 0) close = await openWatchers(server.url, n);
          const writer = connect(server.url);
          const prober = connect(server.url);
          await grpcCall(writer, "/memorabilia.v1.StringsService/Set", SET);
          let stop = false;
          let checks = 0;
          let worst = 0;
          const t0 = performance.now();
          const probe = (async () => {
            while (!stop) {
              const c0 = performance.now();
              checks += await grpcCall(prober, "/grpc.health.v1.Health/Check", CHECK);
              worst = Math.max(worst, performance.now() - c0);
            }
          })();
          const s = await timedLoad(
            () => grpcCall(writer, "/memorabilia.v1.StringsService/Set", SET),
            options.bounds,
            server.pid,
            { group: FANOUT_GROUP, op: "SET", target: name, round },
          );
          stop = true;
          await probe;
          samples.push(s, {
            group: FANOUT_GROUP,
            op: "Health.Check beside",
            target: name,
            round,
            ops: checks,
            seconds: (performance.now() - t0) / 1000,
          });
          options.notes.push(`fan-out ${name}, round ${round + 1}: slowest Health.Check ${worst.toFixed(0)} ms`);
        } catch (error) {
          options.notes.push(`fan-out ${name}, round ${round + 1}: failed (${String(error).split("\n")[0]})`);
        } finally {
          for (const s of sessions.splice(0)) s.close();
          await close?.();
        }
      }
    }
    return samples;
  } finally {
    for (const s of sessions) s.close();
    for (const s of started) await s.stop();
  }
}
