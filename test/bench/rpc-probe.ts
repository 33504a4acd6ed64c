/**
 * A focused probe of server-side RPC cost: starts the Memorabilia server, drives it with a cheap
 * raw `node:http2` gRPC client (pre-encoded requests, so the client is not the bottleneck) or the
 * connect-node client, and prints ops/s and server CPU µs per call from /proc/PID/stat.
 *
 *   tsx test/bench/rpc-probe.ts [--calls=20000] [--concurrency=50] [--rounds=3] [--prof=DIR] [--only=a,b]
 *     [--node-args="--max-semi-space-size=64 ..."] [--entry=build/main.mjs]
 *
 * `--node-args` passes flags to the server's node; `--entry` runs that JavaScript file instead of
 * `server/main.ts` under tsx (e.g. an esbuild bundle, to compare the transform's per-call cost);
 * with `--entry`, `--server-log=FILE` keeps the server's output (e.g. of `--trace-gc`).
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import * as http2 from "node:http2";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckRequestSchema } from "../../shared/gen/grpc/health/v1/health_pb.js";
import {
  GetRequestSchema,
  MGetRequestSchema,
  MSetRequestSchema,
  SetRequestSchema,
  StringsService,
} from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { BatchRequestSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { cpuSplitMs, freePort, type Started, startMemorabilia, stopAll, track } from "./processes.js";
import { pipelineRequest, RawGrpc } from "./raw-grpc.js";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    prof: { type: "string" },
    only: { type: "string" },
    "node-args": { type: "string" },
    entry: { type: "string" },
    "server-log": { type: "string" },
  },
});
const CALLS = Number(values.calls);
const CONC = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

function frame(bytes: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + bytes.length);
  b.writeUInt32BE(bytes.length, 1);
  b.set(bytes, 5);
  return b;
}

/** A raw gRPC unary call over one shared h2 session: resolves with grpc-status. */
function rawUnary(session: http2.ClientHttp2Session, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc+proto",
      te: "trailers",
    });
    let status = "";
    s.on("trailers", (t) => {
      status = String(t["grpc-status"]);
    });
    s.on("response", (h) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
    });
    s.on("data", () => {});
    s.on("end", () => (status === "0" ? resolve(status) : reject(new Error(`grpc-status ${status}`))));
    s.on("error", reject);
    s.end(body);
  });
}

async function run(call: (i: number) => Promise<unknown>, pid: number, ops: number) {
  let next = 0;
  const c0 = cpuSplitMs(pid) as { user: number; system: number };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < CALLS) await call(next++);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const c1 = cpuSplitMs(pid) as { user: number; system: number };
  const cpu = c1.user + c1.system - c0.user - c0.system;
  return {
    opsPerS: (CALLS * ops) / s,
    usPerCall: (cpu * 1000) / CALLS,
    sysPerCall: ((c1.system - c0.system) * 1000) / CALLS,
    cpuShare: cpu / 1000 / s,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Starts `node [nodeArgs] <entry>` as the Memorabilia server (what startMemorabilia does with tsx). */
async function startEntry(entry: string, nodeArgs: readonly string[]): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, entry, "--host", "127.0.0.1", "--port", String(port)], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const started = track("memorabilia", child, port, `http://127.0.0.1:${port}`);
  const log = values["server-log"];
  if (log !== undefined) {
    const file = createWriteStream(log);
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Server listening at/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", () => reject(new Error(`server exited: ${out}`)));
  }).catch(async (e) => {
    await started.stop();
    throw e;
  });
  return started;
}

async function main() {
  const nodeArgs = [
    ...(values.prof ? ["--cpu-prof", "--cpu-prof-dir", values.prof] : []),
    ...(values["node-args"]?.split(" ").filter((a) => a !== "") ?? []),
  ];
  const m = values.entry ? await startEntry(values.entry, nodeArgs) : await startMemorabilia([], nodeArgs);
  const url = m.url;
  const session = http2.connect(url);
  const g = createClient(StringsService, createGrpcTransport({ baseUrl: url }));
  const h = createClient(Health, createGrpcTransport({ baseUrl: url }));
  const cs = createClient(StringsService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  const health = frame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "" })));
  const get = frame(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "bench:1" })));
  const set = frame(toBinary(SetRequestSchema, create(SetRequestSchema, { key: "bench:1", value: new Uint8Array(8) })));
  const keys = Array.from({ length: 100 }, (_, j) => `bench:${j}`);
  const mset = frame(
    toBinary(
      MSetRequestSchema,
      create(MSetRequestSchema, { entries: keys.map((key) => ({ key, value: new Uint8Array(8) })) }),
    ),
  );
  const mget = frame(toBinary(MGetRequestSchema, create(MGetRequestSchema, { keys })));
  const S = "/memorabilia.v1.StringsService";
  const T = "/memorabilia.v1.TransactionService";
  const getCmd = (k: string) => ({ kind: { case: "get" as const, value: { key: k } } });
  const setCmd = (k: string) => ({ kind: { case: "set" as const, value: { key: k, value: new Uint8Array(8) } } });
  const batchGet = frame(toBinary(BatchRequestSchema, create(BatchRequestSchema, { commands: keys.map(getCmd) })));
  const batchSet = frame(toBinary(BatchRequestSchema, create(BatchRequestSchema, { commands: keys.map(setCmd) })));
  const pipeGet = Buffer.concat(keys.map((k, j) => pipelineRequest(j, getCmd(k))));
  const pipeSet = Buffer.concat(keys.map((k, j) => pipelineRequest(j, setCmd(k))));
  const raw = new RawGrpc(url);
  const pipeG = raw.stream(`${T}/Pipeline`);
  const pipeS = raw.stream(`${T}/Pipeline`);
  const workloads: [string, (i: number) => Promise<unknown>, number][] = [
    ["raw-h2 Health.Check", () => rawUnary(session, "/grpc.health.v1.Health/Check", health), 1],
    ["raw-h2 Get", () => rawUnary(session, `${S}/Get`, get), 1],
    ["raw-h2 Set", () => rawUnary(session, `${S}/Set`, set), 1],
    ["raw-h2 MSet x100", () => rawUnary(session, `${S}/MSet`, mset), 100],
    ["raw-h2 MGet x100", () => rawUnary(session, `${S}/MGet`, mget), 100],
    ["raw-h2 Batch GET x100", () => rawUnary(session, `${T}/Batch`, batchGet), 100],
    ["raw-h2 Batch SET x100", () => rawUnary(session, `${T}/Batch`, batchSet), 100],
    ["raw-h2 Pipeline GET x100", () => pipeG.send(pipeGet, 100), 100],
    ["raw-h2 Pipeline SET x100", () => pipeS.send(pipeSet, 100), 100],
    ["connect-node gRPC Get", (i) => g.get({ key: `bench:${i % 100}` }), 1],
    ["connect-node gRPC Health", () => h.check({ service: "" }), 1],
    ["connect-node Connect h1 Get", (i) => cs.get({ key: `bench:${i % 100}` }), 1],
  ];
  const only = values.only?.split(",");
  const chosen = workloads.filter(([n]) => !only || only.some((o) => n.includes(o)));
  const results = new Map<string, { o: number[]; u: number[]; k: number[]; c: number[] }>();
  for (const [, call] of chosen) await call(0); // warm up connections
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, call, ops] of chosen) {
      const x = await run(call, m.pid, ops);
      const e = results.get(name) ?? { o: [], u: [], k: [], c: [] };
      e.o.push(x.opsPerS);
      e.u.push(x.usPerCall);
      e.k.push(x.sysPerCall);
      e.c.push(x.cpuShare);
      results.set(name, e);
    }
  }
  const opsOf = new Map(chosen.map(([n, , ops]) => [n, ops]));
  for (const [name, e] of results)
    console.log(
      `${name.padEnd(30)} ops/s ${median(e.o).toFixed(0).padStart(7)}  server µs/call ${median(e.u).toFixed(1).padStart(6)} (kernel ${median(e.k).toFixed(1).padStart(5)})  server core share ${median(e.c).toFixed(2)}  µs/op ${(median(e.u) / (opsOf.get(name) ?? 1)).toFixed(2)}`,
    );
  session.close();
  pipeG.close();
  pipeS.close();
  raw.close();
  await stopAll();
}

main().catch(async (e) => {
  console.error(e);
  await stopAll();
  process.exit(1);
});
