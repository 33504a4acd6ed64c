/**
 * A quick, focused probe of the etcd engine's batched rows (not part of `npm run bench`): one
 * 3-member cluster, engine servers (A/B variants by extra args), the raw h2 client on both sides,
 * interleaved rounds; keys/s, server CPU µs/key, etcd CPU µs/key, with the load average.
 *
 *   npx tsx test/bench/etcd-probe.ts [rounds] [A-args|B-args…]
 *   e.g. npx tsx test/bench/etcd-probe.ts 3 "" "--slowlog-log-slower-than=-1"
 *   or an A/B of two builds: npx tsx test/bench/etcd-probe.ts 3 "" "bundle=/tmp/main/dist/server.mjs"
 *   ETCD_PROBE_OPS="Batch x100 GET,MSET x100" ETCD_PROBE_NODE="--cpu-prof --cpu-prof-dir=/tmp/prof"
 */
import { loadavg } from "node:os";
import { MGetRequestSchema, MSetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { BatchRequestSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { startEtcdCluster } from "../support/etcd-cluster.js";
import { servingPid } from "./etcd-engine.js";
import { timedLoad } from "./load.js";
import { cpuMsPrecise, startMemorabilia, stopAll } from "./processes.js";
import { encode, etcdPutTxn, etcdRangeTxn, pipelineRequest, RawGrpc } from "./raw-grpc.js";

const rounds = Number(process.argv[2] ?? 3);
const variants = process.argv.length > 3 ? process.argv.slice(3) : [""];
const nodeArgs = (process.env.ETCD_PROBE_NODE ?? "").split(" ").filter((s) => s !== "");
const only = (process.env.ETCD_PROBE_OPS ?? "").split(",").filter((s) => s !== "");
const cluster = await startEtcdCluster();
const servers = [];
for (const v of variants) {
  const extra = v.split(" ").filter((s) => s !== "");
  const node = extra.filter((a) => a.startsWith("--max-semi") || a.startsWith("--cpu-prof") || a.startsWith("--trace"));
  // bundle=PATH: another build of the server (e.g. main's, for an A/B of code).
  const bundle = extra.find((a) => a.startsWith("bundle="))?.slice("bundle=".length);
  const own = extra.filter((a) => !node.includes(a) && !a.startsWith("bundle="));
  servers.push(
    await startMemorabilia(
      ["--engine", "etcd", "--etcd-endpoints", cluster.endpoints.join(","), "--etcd-prefix", "probe/", ...own],
      [...nodeArgs, ...node],
      bundle,
    ),
  );
}
const etcdCpuMs = () => {
  let ms = 0;
  for (const m of cluster.members) ms += (m.pid === undefined ? undefined : cpuMsPrecise(m.pid)) ?? 0;
  return ms;
};
const value = "v".repeat(16);
const keys100 = (i: number) => Array.from({ length: 100 }, (_, j) => `k${(i * 100 + j) % 1000}`);
const rawKey = (i: number) => Buffer.from(`bench/raw/k${i % 1000}`);
const groups = 10;
const cycled = (make: (i: number) => Buffer) => {
  const all = Array.from({ length: groups }, (_, i) => make(i));
  return (i: number) => all[i % groups] as Buffer;
};
const h2Ranges = cycled((i) => etcdRangeTxn(keys100(i).map((_, j) => rawKey(i * 100 + j))));
const h2Puts = cycled((i) => etcdPutTxn(keys100(i).map((_, j) => [rawKey(i * 100 + j), value] as const)));
const bodies: Record<string, [string, (i: number) => Buffer, (i: number) => Buffer]> = {
  "MGET x100": [
    "/memorabilia.v1.StringsService/MGet",
    cycled((i) => encode(MGetRequestSchema, { keys: keys100(i) })),
    h2Ranges,
  ],
  "MSET x100": [
    "/memorabilia.v1.StringsService/MSet",
    cycled((i) =>
      encode(MSetRequestSchema, { entries: keys100(i).map((key) => ({ key, value: Buffer.from(value) })) }),
    ),
    h2Puts,
  ],
  "Batch x100 GET": [
    "/memorabilia.v1.TransactionService/Batch",
    cycled((i) =>
      encode(BatchRequestSchema, {
        commands: keys100(i).map((key) => ({ kind: { case: "get" as const, value: { key } } })),
      }),
    ),
    h2Ranges,
  ],
  "Batch x100 SET": [
    "/memorabilia.v1.TransactionService/Batch",
    cycled((i) =>
      encode(BatchRequestSchema, {
        commands: keys100(i).map((key) => ({
          kind: { case: "set" as const, value: { key, value: Buffer.from(value) } },
        })),
      }),
    ),
    h2Puts,
  ],
  "Pipeline x100 GET": [
    "",
    cycled((i) =>
      Buffer.concat(
        keys100(i).map((key, j) => pipelineRequest(i * 100 + j, { kind: { case: "get" as const, value: { key } } })),
      ),
    ),
    h2Ranges,
  ],
};
const h2s = servers.map((s) => new RawGrpc(s.url));
const pipes = h2s.map((h) => h.stream("/memorabilia.v1.TransactionService/Pipeline"));
const etcd = new RawGrpc(cluster.endpoints[0] as string);
await h2s[0]?.unary(
  "/memorabilia.v1.TransactionService/Batch",
  (bodies["Batch x100 SET"] as [string, (i: number) => Buffer, unknown])[1](0),
);
for (let i = 0; i < 10; i++)
  await h2s[0]?.unary(
    "/memorabilia.v1.StringsService/MSet",
    (bodies["MSET x100"] as [string, (i: number) => Buffer, unknown])[1](i),
  );
await etcd.unary("/etcdserverpb.KV/Txn", h2Puts(0));
const bounds = { concurrency: 16, maxCalls: 100_000, maxMs: Number(process.env.ETCD_PROBE_MS ?? 2000) };
const out: Record<string, { kps: number[]; srv: number[]; etcd: number[]; load: number[] }> = {};
for (const [op, [path, body, txn]] of Object.entries(bodies)) {
  if (only.length > 0 && !only.includes(op)) continue;
  const targets: [string, (i: number) => Promise<number>, number | undefined][] = [
    ...servers.map(
      (s, k) =>
        [
          `engine ${variants[k] || "(default)"}`,
          path === ""
            ? (i: number) => (pipes[k] as (typeof pipes)[0]).send(body(i), 100).then(() => 100)
            : (i: number) => (h2s[k] as RawGrpc).unary(path, body(i)).then(() => 100),
          servingPid(s.pid),
        ] as [string, (i: number) => Promise<number>, number],
    ),
    ["raw etcd txn", (i: number) => etcd.unary("/etcdserverpb.KV/Txn", txn(i)).then(() => 100), undefined],
  ];
  for (let r = 0; r < rounds; r++) {
    const shift = r % targets.length;
    for (const [name, call, pid] of [...targets.slice(shift), ...targets.slice(0, shift)]) {
      const e0 = etcdCpuMs();
      const s = await timedLoad(call, bounds, pid, { group: "p", op, target: name, round: r }, cpuMsPrecise);
      const e1 = etcdCpuMs();
      const row = (out[`${op} | ${name}`] ??= { kps: [], srv: [], etcd: [], load: [] });
      row.kps.push(s.ops / s.seconds);
      row.srv.push(((s.serverCpuMs ?? Number.NaN) * 1000) / s.ops);
      row.etcd.push(((e1 - e0) * 1000) / s.ops);
      row.load.push(loadavg()[0] as number);
    }
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
for (const [k, r] of Object.entries(out))
  console.log(
    `${k.padEnd(60)} keys/s ${med(r.kps).toFixed(0).padStart(6)} (${r.kps.map((x) => x.toFixed(0)).join("/")})  srv ${med(r.srv).toFixed(1)} µs/key  etcd ${med(r.etcd).toFixed(1)} µs/key  load ${r.load.map((x) => x.toFixed(1)).join("/")}`,
  );
for (const p of pipes) p.close();
for (const h of [...h2s, etcd]) h.close();
await stopAll();
await cluster.stop();
