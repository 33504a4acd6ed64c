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
 * `--base` adds a second server from another bundle (copy `dist/` of another commit and its
 * package.json one level above it). `--node-args` applies to every server (e.g. `--cpu-prof
 * --cpu-prof-dir=.bench/prof`: the profile is written when the probe stops the server).
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CommandSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { bundleEntry } from "./bundle.js";
import { KEYSPACE } from "./clients.js";
import { timedLoad } from "./load.js";
import { cpuMsPrecise, freePort, type Started, stopAll, track, waitForLine } from "./processes.js";
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
  },
});
const split = (s: string) => s.split(" ").filter((x) => x !== "");
const VALUE = new TextEncoder().encode("vvvvvvvv");
const key = (i: number) => `bench:${i % KEYSPACE}`;

async function startServer(name: string, bundle: string): Promise<Started> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...split(values["node-args"] as string),
      bundle,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...split(values["server-args"] as string),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ready = waitForLine(child, /Server listening at (\S+?)"/, name);
  const started = track(name, child, port, `http://127.0.0.1:${port}`);
  await ready;
  return started;
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
      targets.push({ name: s.name, op, pid: s.pid, batch, call: (i) => stream.send(body(i), batch).then(() => batch) });
    }
  }
  const commands = Number(values.commands);
  const boundsOf = (t: T) => ({
    concurrency: Number(values.concurrency),
    maxCalls: Math.ceil(commands / t.batch),
    maxMs: 60_000,
  });
  for (const t of targets)
    await timedLoad(t.call, { ...boundsOf(t), maxCalls: Math.ceil(20_000 / t.batch) }, undefined, {
      group: "w",
      op: t.op,
      target: t.name,
      round: -1,
    });
  const us: Record<string, number[]> = {};
  const rates: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  const loads: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const load = loadavg()[0] as number;
    loads.push(load);
    const line: string[] = [];
    for (const op of ops) {
      const group = targets.filter((t) => t.op === op);
      const order = group.map((_, i) => group[(i + round) % group.length] as T);
      const got: Record<string, number> = {};
      for (const t of order) {
        const s = await timedLoad(t.call, boundsOf(t), t.pid, { group: "p", op, target: t.name, round }, cpuMsPrecise);
        const v = ((s.serverCpuMs as number) * 1000) / s.ops;
        got[t.name] = v;
        (us[`${op} ${t.name}`] ??= []).push(v);
        (rates[`${op} ${t.name}`] ??= []).push(s.ops / s.seconds);
      }
      if (got.base !== undefined) (ratios[op] ??= []).push((got.new as number) / got.base);
      line.push(`${op}: ${order.map((t) => `${t.name} ${fmt(got[t.name] as number)}`).join(", ")}`);
    }
    console.log(`round ${round + 1} load ${load.toFixed(2)}  ${line.join(" | ")}`);
  }
  console.log(`${commands} commands/segment, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
  for (const [k, v] of Object.entries(us))
    console.log(
      `${k.padEnd(12)} median ${fmt(median(v))} µs/command (${v.map(fmt).join(" ")}); ${Math.round(median(rates[k] as number[]))} commands/s`,
    );
  for (const [op, r] of Object.entries(ratios))
    console.log(`${op.padEnd(12)} new ÷ base median ${median(r).toFixed(3)} (${r.map((x) => x.toFixed(2)).join(" ")})`);
  for (const c of clients) c.close();
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
