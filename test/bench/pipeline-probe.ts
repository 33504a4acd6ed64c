/**
 * A focused, interleaved A/B probe of the Pipeline's per-command server CPU (issue 14's "Pipeline
 * ≥ 2× Redis+ioredis", issue 13's Pipeline row): one or two Memorabilia bundles, both running,
 * driven by the network part's raw h2 client (requests encoded up front, one long-lived bidi
 * stream per op, as `npm run bench -- --only=network` drives it). Each round runs one segment
 * per server and op, the order rotating; prints server CPU µs per command of every segment, each
 * server's median, the median of the per-round ratios (new ÷ base), ops/s and the load average.
 *
 *   npx tsx test/bench/pipeline-probe.ts [--ops=GET100,SET100,GET1] [--commands=100000]
 *     [--rounds=7] [--base=.bench/base/dist/server.mjs] [--node-args="--cpu-prof"]
 *
 * `--redis` adds plain ioredis against redis-server (one command per call, 50 in flight) and prints
 * each op's ops/s ratio to it per round (the network part's Pipeline ≥ 2× anchor; wall clock: a
 * quiet host only). `--base` adds a second server from another bundle (copy `dist/` of another commit and its
 * package.json one level above it). `--node-args` applies to every server (e.g. `--cpu-prof
 * --cpu-prof-dir=.bench/prof`: the profile is written when the probe stops the server).
 */
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Redis } from "ioredis";
import type { CommandSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { bundleEntry } from "./bundle.js";
import { KEYSPACE } from "./clients.js";
import { probeRounds } from "./probe-rounds.js";
import { findBinary, type Started, startMemorabilia, startRedis, stopAll } from "./processes.js";
import { pipelineRequest, RawGrpc } from "./raw-grpc.js";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "GET100,SET100,GET1" },
    commands: { type: "string", default: "100000" },
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "7" },
    base: { type: "string" },
    "node-args": { type: "string", default: "" },
    "server-args": { type: "string", default: "" },
    redis: { type: "boolean", default: false },
  },
});
const split = (s: string) => s.split(" ").filter((x) => x !== "");
const VALUE = new TextEncoder().encode("vvvvvvvv");
const key = (i: number) => `bench:${i % KEYSPACE}`;

/** A server from `bundle` (one process: the young generation's flag on the node command line, as the bench starts it). */
async function startServer(name: string, bundle: string): Promise<Started & { label: string }> {
  const started = await startMemorabilia(
    split(values["server-args"] as string),
    split(values["node-args"] as string),
    bundle,
  );
  return { ...started, label: name };
}

type Command = MessageInitShape<typeof CommandSchema>;
/** `GET100`: Pipeline of GETs, 100 commands per write; `SET1`: SETs one per write. */
function requests(op: string): { batch: number; body: (i: number) => Buffer } {
  const batch = Number(op.slice(3));
  const make =
    op.startsWith("GET") === true
      ? (i: number): Command => ({ kind: { case: "get", value: { key: key(i) } } })
      : (i: number): Command => ({ kind: { case: "set", value: { key: key(i), value: VALUE } } });
  const groups = Math.ceil(KEYSPACE / batch);
  const all = Array.from({ length: groups }, (_, g) =>
    Buffer.concat(Array.from({ length: batch }, (_, j) => pipelineRequest(g * batch + j, make(g * batch + j)))),
  );
  return { batch, body: (i) => all[i % groups] as Buffer };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (n: number) => n.toFixed(2);

async function main() {
  const servers = [await startServer("new", bundleEntry("server/main.ts", "probe-server"))];
  if (values.base) servers.push(await startServer("base", values.base));
  const clients: RawGrpc[] = [];
  const ops = (values.ops as string).split(",");
  type T = { name: string; op: string; pid: number; batch: number; call: (i: number) => Promise<number> };
  const targets: T[] = [];
  for (const op of ops) {
    const { batch, body } = requests(op);
    for (const s of servers) {
      const c = new RawGrpc(s.url);
      clients.push(c);
      const stream = c.stream("/memorabilia.v1.TransactionService/Pipeline");
      targets.push({
        name: s.label,
        op,
        pid: s.pid,
        batch,
        call: (i) => stream.send(body(i), batch).then(() => batch),
      });
    }
  }
  // Plain ioredis, one command per call, 50 in flight: the anchor of the bench's "≥ 2× Redis+ioredis".
  const redisBin = values.redis ? findBinary("redis-server") : undefined;
  const redisServer = redisBin === undefined ? undefined : await startRedis(redisBin);
  const redis =
    redisServer === undefined
      ? undefined
      : new Redis({ host: "127.0.0.1", port: redisServer.port, lazyConnect: false });
  if (redis !== undefined && redisServer !== undefined)
    for (const op of ops) {
      const get = op.startsWith("GET");
      targets.push({
        name: "redis",
        op,
        pid: redisServer.pid,
        batch: 1,
        call: (i) => (get ? redis.get(key(i)) : redis.set(key(i), "vvvvvvvv")).then(() => 1),
      });
    }
  const commands = Number(values.commands);
  const boundsOf = (t: T) => ({
    concurrency: Number(values.concurrency),
    maxCalls: Math.ceil(commands / t.batch),
    maxMs: 60_000,
  });
  const us: Record<string, number[]> = {};
  const rates: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  const loads: number[] = [];
  const rounds = { rounds: Number(values.rounds), bounds: boundsOf, warmCalls: (t: T) => Math.ceil(20_000 / t.batch) };
  await probeRounds(targets, rounds, ({ round, load, ops: measured }) => {
    loads.push(load);
    const line: string[] = [];
    for (const [op, { order, us: got, rate }] of measured) {
      for (const name of order) {
        (us[`${op} ${name}`] ??= []).push(got[name] as number);
        (rates[`${op} ${name}`] ??= []).push(rate[name] as number);
      }
      if (got.base !== undefined) (ratios[op] ??= []).push((got.new as number) / got.base);
      if (rate.redis !== undefined) (ratios[`${op} ops/s new ÷ redis`] ??= []).push((rate.new as number) / rate.redis);
      line.push(`${op}: ${order.map((name) => `${name} ${fmt(got[name] as number)}`).join(", ")}`);
    }
    console.log(`round ${round + 1} load ${load.toFixed(2)}  ${line.join(" | ")}`);
  });
  console.log(`${commands} commands/segment, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
  for (const [k, v] of Object.entries(us))
    console.log(
      `${k.padEnd(12)} median ${fmt(median(v))} µs/command (${v.map(fmt).join(" ")}); ${Math.round(median(rates[k] as number[]))} commands/s`,
    );
  for (const [op, r] of Object.entries(ratios))
    console.log(
      `${op.padEnd(12)} ${op.includes("÷") ? "" : "CPU new ÷ base "}median ${median(r).toFixed(3)} (${r.map((x) => x.toFixed(2)).join(" ")})`,
    );
  for (const c of clients) c.close();
  redis?.disconnect();
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
