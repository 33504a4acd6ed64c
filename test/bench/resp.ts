/**
 * RESP bench (`--only=resp`): redis-benchmark against Memorabilia's RESP port and against
 * redis-server in one run, unpipelined (`-P 1`) and pipelined (`-P 16`), for GET, SET, INCR,
 * LPUSH and LRANGE (100 elements), with each server's CPU time per command (every thread's run
 * time over the segment, from /proc). Targets alternate per round (A B, then B A) so drift hits both
 * alike. A third target, the bare Node floor (resp-floor-child.ts: frames the commands and answers
 * fixed replies, nothing else), shows what Node alone costs per command beside redis-server.
 */
import { execFile, spawn } from "node:child_process";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { bundleEntry } from "./bundle.js";
import { cpuMs, cpuMsPrecise, type Started, track } from "./processes.js";
import type { Sample } from "./stats.js";

const run = promisify(execFile);

/** Options of {@link runResp}. */
export interface RespBenchOptions {
  readonly rounds: number;
  /** Requests per redis-benchmark run. */
  readonly requests: number;
  /** Client connections (redis-benchmark -c). */
  readonly clients: number;
  readonly onProgress: (line: string) => void;
  readonly notes: string[];
}

/** One workload: the redis-benchmark arguments after the connection options. */
const WORKLOADS: readonly (readonly [op: string, args: readonly string[]])[] = [
  ["GET", ["-t", "get"]],
  ["SET", ["-t", "set"]],
  ["INCR", ["-t", "incr"]],
  ["LPUSH", ["-t", "lpush"]],
  // LPUSH above filled `mylist`; LRANGE alone (redis-benchmark's lrange_100 would refill it first).
  ["LRANGE 100", ["lrange", "mylist", "0", "99"]],
];

/** The streams part's workloads: XADD with an auto ID, XRANGE of 100 entries of the stream it filled. */
export const STREAM_WORKLOADS: readonly (readonly [op: string, args: readonly string[]])[] = [
  ["XADD", ["xadd", "benchstream", "*", "field", "value"]],
  ["XRANGE 100", ["xrange", "benchstream", "-", "+", "COUNT", "100"]],
];

/** The name of the bare Node floor's rows. */
export const RESP_FLOOR = "node floor (bare net server)";

/** The name of the proof rows' target: the floor plus an ideal store (resp-floor-child.ts `--map`). */
export const RESP_FLOOR_MAP = "node floor + one Map (ideal store)";

/** Starts the bare Node floor (resp-floor-child.ts, with `args`) and resolves once it listens. */
export async function startRespFloor(args: readonly string[] = []): Promise<Started> {
  const entry = bundleEntry("test/bench/resp-floor-child.ts", "bench-resp-floor-child");
  const child = spawn(process.execPath, [entry, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("{")) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`the RESP floor exited with ${code}`)));
  });
  return track("resp-floor", child, port, `redis://127.0.0.1:${port}`);
}

/** A target: a name and the port/pid of its server. */
export interface Target {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
}

/** Runs one redis-benchmark segment; the requests per second it reports and the server's CPU ms. */
export async function segment(
  target: Target,
  pipeline: number,
  args: readonly string[],
  o: RespBenchOptions,
): Promise<Sample | undefined> {
  const cpu = (): number | undefined => cpuMsPrecise(target.pid) ?? cpuMs(target.pid);
  const before = cpu();
  const started = process.hrtime.bigint();
  const { stdout } = await run(
    "redis-benchmark",
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(target.port),
      "-n",
      String(o.requests),
      "-c",
      String(o.clients),
      "-P",
      String(pipeline),
      "-r",
      "100000",
      "--csv",
      ...args,
    ],
    // A segment that stalls (seen once: replies sent, never acknowledged by the client) is cut well
    // before it can eat a quiet benchmark window; 200k requests take under a minute even loaded.
    { timeout: 180_000 },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = cpu();
  const row = stdout.trim().split("\n").at(-1) ?? "";
  const rps = Number(JSON.parse(row.split(",")[1] ?? "NaN"));
  if (!Number.isFinite(rps) || rps <= 0) {
    o.notes.push(`resp: redis-benchmark gave no rate for ${target.name} ${args.join(" ")}: ${row}`);
    return undefined;
  }
  return {
    group: `resp -P ${pipeline}`,
    op: "",
    target: target.name,
    round: 0,
    ops: o.requests,
    // redis-benchmark's own rate (its timer excludes process start-up); the wall time bounds it.
    seconds: Math.min(seconds, o.requests / rps),
    serverCpuMs: before === undefined || after === undefined ? undefined : after - before,
  };
}

/**
 * Waits until `port` answers PING. The server logs "listening" for its main port a few ms before
 * the RESP port listens: the first redis-benchmark segment (GET -P 1) used to be refused then.
 */
export async function untilServing(port: number, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port });
      s.setTimeout(2000, () => s.destroy());
      s.once("connect", () => s.write("PING\r\n"));
      s.once("data", (d) => {
        s.destroy();
        resolve(d.toString("latin1").startsWith("+PONG"));
      });
      s.once("error", () => resolve(false));
      s.once("close", () => resolve(false));
    });
    if (pong) return;
    if (Date.now() > deadline) throw new Error(`the RESP port ${port} did not answer PING within ${withinMs} ms`);
    await sleep(50);
  }
}

/** Runs the RESP workloads against both servers. */
export async function runResp(
  servers: { memorabilia: Started; respPort: number; redis?: Started; floor?: Started },
  o: RespBenchOptions,
  workloads: readonly (readonly [op: string, args: readonly string[]])[] = WORKLOADS,
): Promise<Sample[]> {
  const targets: Target[] = [{ name: "memorabilia RESP", port: servers.respPort, pid: servers.memorabilia.pid }];
  if (servers.redis) targets.push({ name: "redis-server", port: servers.redis.port, pid: servers.redis.pid });
  // With the floor, the floor plus an ideal store too (one Map: the proof rows of `-P 16`).
  const floorMap = servers.floor && workloads === WORKLOADS ? await startRespFloor(["--map"]) : undefined;
  try {
    if (servers.floor) targets.push({ name: RESP_FLOOR, port: servers.floor.port, pid: servers.floor.pid });
    if (floorMap) targets.push({ name: RESP_FLOOR_MAP, port: floorMap.port, pid: floorMap.pid });
    return await runTargets(targets, o, workloads);
  } finally {
    await floorMap?.stop();
  }
}

/** Every workload on every target, `-P 1` then `-P 16`, the targets' order rotated per round. */
async function runTargets(
  targets: readonly Target[],
  o: RespBenchOptions,
  workloads: readonly (readonly [op: string, args: readonly string[]])[],
): Promise<Sample[]> {
  for (const t of targets) await untilServing(t.port);
  const samples: Sample[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const pipeline of [1, 16]) {
      for (const [op, args] of workloads) {
        for (let i = 0; i < targets.length; i++) {
          const target = targets[(i + round) % targets.length] as Target;
          // The ideal store is only the `-P 16` proof, of the four commands it runs.
          if (target.name === RESP_FLOOR_MAP && (pipeline !== 16 || op === "LRANGE 100")) continue;
          o.onProgress(`resp: ${op} -P ${pipeline} on ${target.name} (round ${round + 1}/${o.rounds})`);
          const s = await segment(target, pipeline, args, o).catch((e: unknown) => {
            o.notes.push(`resp: ${op} -P ${pipeline} on ${target.name} failed: ${String(e).split("\n")[0]}`);
            return undefined;
          });
          if (s) samples.push({ ...s, op, round });
        }
      }
    }
  }
  return samples;
}
