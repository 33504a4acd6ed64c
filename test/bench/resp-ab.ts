/**
 * A/B probe for the RESP bench's `-P 16` rows: two server bundles (a base and a change), the bare
 * Node floor and redis-server, loaded by redis-benchmark in one run, interleaved per workload
 * (the order rotates per round), each server's CPU per command from /proc and the load average
 * beside each round. Not part of `npm run bench` (no verdict): the quiet window's
 * `--only=resp` judges.
 *
 *   npx esbuild test/bench/resp-ab.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=dist/resp-ab.mjs && node dist/resp-ab.mjs BASE_BUNDLE NEW_BUNDLE [rounds] [requests] [ops]
 *
 * `ops`: a comma-separated subset of GET,SET,INCR,LPUSH,LRANGE (default all but LRANGE).
 * A bundle given as `BUNDLE@MB` runs with semi-spaces of MB MiB (`--max-semi-space-size`; the same
 * bundle on both sides makes a young-generation A/B); otherwise with the young generation every
 * server start sets (server/young-generation.ts), put on the node command line as the bench does,
 * so the PID whose CPU is read is the serving process, not a relaying parent.
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { youngGenerationNodeFlags } from "../../server/young-generation.js";
import { findBinary, freePort, type Started, startRedis, stopAll, track, waitForLine } from "./processes.js";
import { RESP_FLOOR, type RespBenchOptions, segment, startRespFloor, type Target, untilServing } from "./resp.js";

const WORKLOADS: Record<string, readonly string[]> = {
  GET: ["-t", "get"],
  SET: ["-t", "set"],
  INCR: ["-t", "incr"],
  LPUSH: ["-t", "lpush"],
  LRANGE: ["lrange", "mylist", "0", "99"],
};

/** Starts a server bundle with a RESP port; its Started and the RESP port. */
async function startBundle(name: string, spec: string): Promise<[Started, number]> {
  const at = spec.lastIndexOf("@");
  const bundle = at < 0 ? spec : spec.slice(0, at);
  const young = at < 0 ? youngGenerationNodeFlags() : [`--max-semi-space-size=${Number(spec.slice(at + 1))}`];
  const port = await freePort();
  const respPort = await freePort();
  const child = spawn(
    process.execPath,
    [...young, bundle, "--host", "127.0.0.1", "--port", String(port), "--resp-port", String(respPort)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ready = waitForLine(child, /Server listening at (\S+?)"/, name);
  const started = track(name, child, port, `http://127.0.0.1:${port}`);
  await ready;
  return [started, respPort];
}

async function main(): Promise<void> {
  const [baseBundle, newBundle, roundsArg, requestsArg, opsArg] = process.argv.slice(2);
  if (baseBundle === undefined || newBundle === undefined)
    throw new Error("usage: resp-ab BASE NEW [rounds] [requests] [ops]");
  const rounds = Number(roundsArg ?? 3);
  const requests = Number(requestsArg ?? 400_000);
  const ops = (opsArg ?? "GET,SET,INCR,LPUSH").split(",");
  const redisBinary = findBinary("redis-server");
  const [base, basePort] = await startBundle("base", baseBundle);
  const [next, newPort] = await startBundle("new", newBundle);
  const floor = await startRespFloor();
  const floorMap = await startRespFloor(["--map"]);
  const targets: Target[] = [
    { name: "floor+Map", port: floorMap.port, pid: floorMap.pid },
    { name: "base", port: basePort, pid: base.pid },
    { name: "new", port: newPort, pid: next.pid },
    { name: RESP_FLOOR, port: floor.port, pid: floor.pid },
  ];
  if (redisBinary !== undefined) {
    const redis = await startRedis(redisBinary);
    targets.push({ name: "redis-server", port: redis.port, pid: redis.pid });
  }
  for (const t of targets) await untilServing(t.port);
  const notes: string[] = [];
  const o: RespBenchOptions = { rounds, requests, clients: 50, onProgress: () => {}, notes };
  const cpu: Record<string, number[]> = {};
  const rate: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const op of ops) {
      const line: string[] = [];
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + round) % targets.length] as Target;
        const s = await segment(t, 16, WORKLOADS[op] as readonly string[], o);
        if (s === undefined || s.serverCpuMs === undefined) continue;
        const us = (s.serverCpuMs * 1000) / s.ops;
        (cpu[`${op} ${t.name}`] ??= []).push(us);
        (rate[`${op} ${t.name}`] ??= []).push(s.ops / s.seconds);
        line.push(`${t.name} ${us.toFixed(2)}`);
      }
      console.log(
        `round ${round + 1} ${op.padEnd(6)} CPU µs/op: ${line.join(", ")}  (load ${loadavg()[0]?.toFixed(1)})`,
      );
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log("median CPU µs/op (ops/s ratio to redis-server from the rates' medians):");
  for (const op of ops) {
    const r = rate[`${op} redis-server`];
    const cells = targets.map((t) => {
      const c = cpu[`${op} ${t.name}`];
      const q = rate[`${op} ${t.name}`];
      if (c === undefined || q === undefined) return `${t.name} -`;
      return `${t.name} ${med(c).toFixed(2)}${r === undefined ? "" : ` (${(med(q) / med(r)).toFixed(2)}×)`}`;
    });
    console.log(`${op.padEnd(6)} ${cells.join(", ")}`);
  }
  for (const n of notes) console.log(`note: ${n}`);
}

try {
  await main();
} finally {
  await stopAll();
}
