import type { BenchResult, ExpiryResult } from "./bench.js";
import { consoleVerdict } from "./console-verdict.js";
import { renderDurability } from "./durability.js";
import type { MemorabiliaExpiry } from "./expiry.js";
import { judgeExpiryRound, redisStallMs } from "./expiry-verdict.js";
import { GATE_GROUP } from "./gate.js";
import { RAW_FLOOR } from "./raw-targets.js";
import type { RedisExpiry } from "./redis-side.js";
import { RESP_FLOOR, RESP_FLOOR_MAP } from "./resp.js";
import { formatNumber, formatRate, markdownTable, type Row, type Spread, spread } from "./stats.js";
import { type PairedRound, TRANSPORT_GROUP, type TransportResult } from "./transport.js";

/** The anchors each group's rows are compared with (same group and op). */
const ANCHORS: Record<string, readonly string[]> = {
  "in-process": ["Map", "lru-cache TTL"],
  unary: ["etcd etcd3", "etcd gRPC (raw h2)", "redis ioredis", RAW_FLOOR],
  batched: ["redis ioredis", "redis ioredis auto-pipelining"],
  stack: [],
  "resp -P 1": ["redis-server"],
  "resp -P 16": ["redis-server"],
  [TRANSPORT_GROUP]: [],
  [GATE_GROUP]: [],
};

function find(rows: readonly Row[], group: string, op: string, target: string): Row | undefined {
  return rows.find((r) => r.group === group && r.op === op && r.target === target);
}

function ratio(row: Row, anchor: Row | undefined): string {
  if (!anchor || row === anchor) return "–";
  return `${formatNumber(row.opsPerSec.median / anchor.opsPerSec.median, 2)}×`;
}

function throughputTable(rows: readonly Row[]): string {
  const groups = [...new Set(rows.map((r) => r.group))];
  const out: string[] = [];
  for (const group of groups) {
    const anchors = ANCHORS[group] ?? [];
    const header = ["op", "target", "ops/s median", "min–max", "server CPU µs/op", ...anchors.map((a) => `vs ${a}`)];
    const body = rows
      .filter((r) => r.group === group)
      .map((r) => [
        r.op,
        r.target,
        formatRate(r.opsPerSec.median),
        `${formatRate(r.opsPerSec.min)}–${formatRate(r.opsPerSec.max)}`,
        r.cpuUsPerOp
          ? `${formatNumber(r.cpuUsPerOp.median)} (${formatNumber(r.cpuUsPerOp.min)}–${formatNumber(r.cpuUsPerOp.max)})`
          : "–",
        ...anchors.map((a) => ratio(r, find(rows, group, r.op, a))),
      ]);
    out.push(
      `### ${group} (n = ${rows.find((r) => r.group === group)?.opsPerSec.n} rounds)\n\n${markdownTable(header, body)}`,
    );
  }
  return out.join("\n\n");
}

/** One target verdict. */
interface Verdict {
  readonly target: string;
  readonly measured: string;
  readonly status: "pass" | "miss" | "n/a";
}

function verdicts(result: BenchResult, rows: readonly Row[]): Verdict[] {
  const v: Verdict[] = [];
  const med = (group: string, op: string, target: string) => find(rows, group, op, target)?.opsPerSec.median;
  // Speed against Map as CPU per op when measured (a busy host inflates wall time, not CPU time).
  const cpu = (op: string, target: string) => find(rows, "in-process", op, target)?.cpuUsPerOp?.median;
  const vsMap = (op: string, target: string): number | undefined => {
    const ours = cpu(op, target);
    const map = cpu(op, "Map");
    if (ours !== undefined && map !== undefined && ours > 0) return map / ours;
    const o = med("in-process", op, target);
    const m = med("in-process", op, "Map");
    return o === undefined || m === undefined ? undefined : o / m;
  };
  for (const op of ["GET", "SET"]) {
    const map = med("in-process", op, "Map");
    const lru = med("in-process", op, "lru-cache TTL");
    const table = vsMap(op, "OpenKeyTable (keyspace)");
    const counted = vsMap(op, "OpenKeyTable + counters");
    // The floor probes: lanes picked by 3 (memory of the old lanes table) or 2 (100 lanes: over Redis's memory) key bytes.
    const flat3 = vsMap(op, "Map lanes by 3 key bytes");
    const flat2 = vsMap(op, "Map lanes by 2 key bytes");
    const floors =
      flat3 === undefined || flat2 === undefined
        ? ""
        : `; Map lanes by 3 key bytes ${formatNumber(flat3, 2)}×, by 2 ${formatNumber(flat2, 2)}×`;
    for (const core of ["core execSync", "core run", "core typed"]) {
      const c = med("in-process", op, core);
      if (c === undefined || map === undefined || lru === undefined) continue;
      const r = vsMap(op, core) ?? c / map;
      v.push({
        target: `in-process ${op} (${core}) ≥ 0.7× Map`,
        measured: `${formatNumber(r, 2)}× Map${cpu(op, core) !== undefined ? " (CPU per op)" : ""}${r < 0.7 ? ` (short by ${formatNumber((0.7 / r - 1) * 100, 2)} %)` : ""}${table === undefined ? "" : `; the keyspace table alone: ${formatNumber(table, 2)}×`}${counted === undefined ? "" : `, with a command and hit counter: ${formatNumber(counted, 2)}×`}${floors}`,
        status: r >= 0.7 ? "pass" : "miss",
      });
      v.push({
        target: `in-process ${op} (${core}) > lru-cache TTL`,
        measured: `${formatNumber(c / lru, 2)}× lru-cache`,
        status: c > lru ? "pass" : "miss",
      });
    }
  }
  // The RESP port against redis-server, both driven by redis-benchmark in the same run.
  for (const [pipeline, goal] of [
    [1, 0.5],
    [16, 0.8],
  ] as const) {
    for (const op of ["GET", "SET", "INCR", "LPUSH", "LRANGE 100"]) {
      const group = `resp -P ${pipeline}`;
      const ours = med(group, op, "memorabilia RESP");
      const redis = med(group, op, "redis-server");
      if (ours === undefined || redis === undefined) continue;
      const r = ours / redis;
      const cpu = find(rows, group, op, "memorabilia RESP")?.cpuUsPerOp?.median;
      const redisCpu = find(rows, group, op, "redis-server")?.cpuUsPerOp?.median;
      // The bare Node server measured the same way bounds what the port can reach.
      const floor = med(group, op, RESP_FLOOR);
      const floorCpu = find(rows, group, op, RESP_FLOOR)?.cpuUsPerOp?.median;
      const bound =
        floor === undefined
          ? ""
          : `; the bare Node floor: ${formatNumber(floor / redis, 2)}× (${floorCpu === undefined ? "–" : formatNumber(floorCpu)} µs/op)`;
      v.push({
        target: `RESP ${op} -P ${pipeline} ≥ ${goal}× redis-server`,
        measured: `${formatNumber(r, 2)}×; server CPU ${cpu === undefined ? "–" : formatNumber(cpu)} µs/op vs redis ${redisCpu === undefined ? "–" : formatNumber(redisCpu)}${bound}`,
        status: r >= goal ? "pass" : "miss",
      });
      // The measured proof (issue 16): the floor plus an ideal store (one Map, fresh key strings as
      // the port decodes them) driven the same way. "pass" means even it stays under the goal.
      const ideal = med(group, op, RESP_FLOOR_MAP);
      const idealCpu = find(rows, group, op, RESP_FLOOR_MAP)?.cpuUsPerOp?.median;
      if (pipeline === 16 && ideal !== undefined && r < goal)
        v.push({
          target: `proof for RESP ${op} -P 16 ≥ ${goal}× redis-server: the bare Node floor plus one Map (an ideal store, no key table, expiry or types), same client, stays < ${goal}×`,
          measured: `floor + Map ${formatNumber(ideal / redis, 2)}× redis-server (CPU ${idealCpu === undefined ? "–" : formatNumber(idealCpu)} µs/op vs ${redisCpu === undefined ? "–" : formatNumber(redisCpu)}); Memorabilia reaches ${formatNumber((ours / ideal) * 100, 2)} % of its rate`,
          status: ideal / redis < goal ? "pass" : "miss",
        });
    }
  }
  // Each Memorabilia client against etcd driven the same way: the raw h2 client on both, and the
  // grpc-js based clients (grpc-js, connect-node) against etcd3 (grpc-js).
  const pairs = [
    ["memorabilia gRPC (raw h2)", "etcd gRPC (raw h2)"],
    ["memorabilia gRPC (grpc-js)", "etcd etcd3"],
    ["memorabilia gRPC (connect-node)", "etcd etcd3"],
  ] as const;
  for (const op of ["GET", "SET"]) {
    for (const [t, anchor] of pairs) {
      const etcd = med("unary", op, anchor);
      const m = med("unary", op, t);
      const cpu = find(rows, "unary", op, t)?.cpuUsPerOp?.median;
      const etcdCpu = find(rows, "unary", op, anchor)?.cpuUsPerOp?.median;
      if (m === undefined || etcd === undefined) {
        v.push({ target: `unary gRPC ${op} (${t}) ≥ 3× ${anchor}`, measured: "not measured", status: "n/a" });
        continue;
      }
      const r = m / etcd;
      // With the raw client, the bare node:http2 floor measured the same way bounds the ratio.
      const floor = anchor === "etcd gRPC (raw h2)" ? med("unary", op, RAW_FLOOR) : undefined;
      const floorCpu = find(rows, "unary", op, RAW_FLOOR)?.cpuUsPerOp?.median;
      const bound =
        floor === undefined
          ? ""
          : `; the bare node:http2 floor with the same client: ${formatNumber(floor / etcd, 2)}× etcd (${formatRate(floor)} ops/s, ${floorCpu === undefined ? "–" : formatNumber(floorCpu)} µs/op)${floor / etcd < 3 ? ": below 3× even with no server code" : ""}`;
      v.push({
        target: `unary gRPC ${op} (${t}) ≥ 3× ${anchor}`,
        measured: `${formatNumber(r, 2)}×${r < 3 ? ` (needs ${formatNumber(3 / r, 3)}× more)` : ""}; server CPU ${cpu === undefined ? "–" : formatNumber(cpu)} µs/op vs etcd ${etcdCpu === undefined ? "–" : formatNumber(etcdCpu)}${bound}`,
        status: r >= 3 ? "pass" : "miss",
      });
      // The measured proof (issue 14): "pass" means the floor itself stays under 3× etcd, i.e. no
      // Node server can pass the row above with this client on this host; "miss" means it could.
      if (floor !== undefined)
        v.push({
          target: `proof for unary gRPC ${op} ≥ 3× etcd: the bare node:http2 floor (fixed reply, no server code), same raw h2 client, stays < 3× etcd`,
          measured: `floor ${formatNumber(floor / etcd, 2)}× etcd (${formatRate(floor)} vs ${formatRate(etcd)} ops/s); Memorabilia reaches ${formatNumber((m / floor) * 100, 2)} % of the floor's rate`,
          status: floor / etcd < 3 ? "pass" : "miss",
        });
    }
  }
  for (const op of ["GET", "SET"]) {
    const ours = rows.filter((r) => r.group === "batched" && r.op === op && r.target.startsWith("memorabilia"));
    const best = ours.sort((a, b) => b.opsPerSec.median - a.opsPerSec.median)[0];
    for (const anchor of ["redis ioredis", "redis ioredis auto-pipelining", "redis ioredis pipeline x100"]) {
      const a = med("batched", op, anchor);
      if (!best || a === undefined) continue;
      const r = best.opsPerSec.median / a;
      v.push({
        target: `batched ${op} (best: ${best.target}) ≥ ${anchor}`,
        measured: `${formatNumber(r, 2)}×${r < 1 ? ` (needs ${formatNumber(1 / r, 3)}× more)` : ""}`,
        status: r >= 1 ? "pass" : "miss",
      });
    }
    if (!best) v.push({ target: `batched ${op} ≥ Redis+ioredis`, measured: "not measured", status: "n/a" });
  }
  v.push(...transportVerdicts(result));
  {
    // Issue 15: an open, unfiltered console must not slow a hot writer by more than a few percent
    // (console-verdict.ts: total server CPU per SET of a paced writer, the two sides in pairs).
    const row = consoleVerdict(result.console, result.quick);
    if (row) v.push(row);
  }
  const mem = result.memory;
  if (mem?.redisTtl !== undefined) {
    const r = mem.coreTtl / mem.redisTtl;
    v.push({
      target: "memory per key with TTL ≤ 1.5× Redis (goal ≤ 1.0×)",
      measured: `${formatNumber(mem.coreTtl)} B vs ${formatNumber(mem.redisTtl)} B = ${formatNumber(r, 2)}×`,
      status: r <= 1.5 ? "pass" : "miss",
    });
  }
  const ks = result.keyspace;
  if (ks && typeof ks.loaded === "number") {
    const ok = ks.loaded > 16_777_216 && ks.dbsize === ks.loaded && ks.lastKeyFound === true;
    v.push({
      target: "more than 16.7M keys in one process",
      measured: `${ks.loaded} keys loaded (DBSIZE ${ks.dbsize}) in ${formatNumber(ks.seconds as number)} s, heap ${formatNumber((ks.heapUsed as number) / 2 ** 30)} GiB${ks.error ? `, error: ${ks.error}` : ""}`,
      status: result.quick ? "n/a" : ok ? "pass" : "miss",
    });
  }
  const restart = result.durability?.restart;
  if (restart !== undefined && restart.memorabiliaSnapshot.length > 0 && restart.redisRdb.length > 0) {
    // Load CPU (every thread), which the host's load does not blur as it does wall time: each
    // round's snapshot load against the RDB load of the same round.
    const ours = restart.memorabiliaSnapshot.map((x) => x.loadCpuMs);
    const theirs = restart.redisRdb.map((x) => x.loadCpuMs);
    const every = ours.every((ms, i) => theirs[i] === undefined || ms <= (theirs[i] as number));
    v.push({
      target: `snapshot restart (${result.durability?.keys} keys): load CPU ≤ Redis's RDB load, every round`,
      measured: `rounds: ${ours.map((ms, i) => `${Math.round(ms)}${theirs[i] === undefined ? "" : ` vs ${Math.round(theirs[i] as number)}`}`).join("; ")} ms`,
      status: result.quick ? "n/a" : every ? "pass" : "miss",
    });
  }
  for (const ex of [result.expiry, result.expiry10m]) {
    if (ex === undefined || ex.memorabilia.length === 0) continue;
    const rounds = ex.memorabilia.map((x, i) => judgeExpiryRound(x, ex.redis[i]));
    const noisy = rounds.filter((r) => r.noisy).length;
    v.push({
      target: `mass expiry (${ex.keys} keys): server event-loop stall (wall) ≤ 5 ms and ≤ Redis's PING stall, every round`,
      measured: `rounds: ${ex.memorabilia.map((x, i) => `${formatNumber(x.loopDelayMaxMs)}${ex.redis[i] === undefined ? "" : ` vs ${formatNumber(redisStallMs(ex.redis[i] as RedisExpiry))}`} (load ${x.loadAverage})`).join("; ")} ms${noisy > 0 ? `; ${noisy} round(s) with host noise > 5 ms (idle probe)` : ""}`,
      status: result.quick ? "n/a" : rounds.every((r) => r.wall) ? "pass" : "miss",
    });
    v.push({
      target: `mass expiry (${ex.keys} keys): server CPU between two 1 ms ticks ≤ 5 ms and ≤ Redis's longest expire cycle, every round`,
      measured: `rounds: ${ex.memorabilia.map((x, i) => `${formatNumber(x.loopCpuMaxMs)}${ex.redis[i] === undefined ? "" : ` vs ${formatNumber((ex.redis[i] as RedisExpiry).expireCycleMaxMs)}`}`).join("; ")} ms`,
      status: result.quick ? "n/a" : rounds.every((r) => r.cpu) ? "pass" : "miss",
    });
    if (ex.redis.length > 0) {
      v.push({
        target: `mass expiry (${ex.keys} keys): drained no slower than Redis, every round`,
        measured: `rounds: ${ex.memorabilia.map((x, i) => `${formatNumber(x.drainMs)}${ex.redis[i] === undefined ? "" : ` vs ${formatNumber((ex.redis[i] as RedisExpiry).drainMs)}`}`).join("; ")} ms`,
        status: rounds.every((r) => r.drain) ? "pass" : "miss",
      });
    }
  }
  return v;
}

/** The protocols judged against a floor, with their goals (server CPU per call ÷ the floor's). */
const TRANSPORT_CHECKS: readonly [string, number][] = [
  ["gRPC h2c", 1.3],
  ["gRPC-Web HTTP/1.1", 1.5],
  ["Connect HTTP/1.1", 1.5],
  ["gRPC h2 TLS", 1.3],
  ["gRPC-Web h2 TLS", 1.5],
  ["Connect h2 TLS", 1.5],
];

/** The paired rounds of one protocol and op, in round order. */
function pairedOf(transport: TransportResult, op: string, target: string): PairedRound[] {
  return transport.rounds.filter((r) => r.op === op && r.target === target);
}

/**
 * Server CPU per call of each protocol against its floor, judged on the median of the per-round
 * ratios (each round's floor and server segments ran back to back): gRPC ≤ 1.3× the bare
 * node:http2 reply; gRPC-Web and Connect ≤ 1.5× the bare node:http reply over HTTP/1.1 and the
 * bare TLS node:http2 reply over HTTP/2+TLS. Judged for `--transport fast` (the default);
 * `connect` rows are the baseline (n/a).
 */
function transportVerdicts(result: BenchResult): Verdict[] {
  const v: Verdict[] = [];
  const transport = result.transport;
  if (transport === undefined) return v;
  for (const mode of ["fast", "connect"])
    for (const op of ["GET", "SET"])
      for (const [protocol, goal] of TRANSPORT_CHECKS) {
        const list = pairedOf(transport, op, `${mode}: ${protocol}`);
        if (list.length === 0) continue;
        const r = spread(list.map((x) => x.ratio));
        const quietest = list.reduce((a, b) => (b.load < a.load ? b : a));
        v.push({
          target: `--transport ${mode}: ${protocol} ${op} server CPU ≤ ${goal}× ${list[0]?.floor}`,
          measured: `median of ${r.n} paired rounds ${formatNumber(r.median, 2)}× (${formatNumber(r.min, 2)}–${formatNumber(r.max, 2)}); µs/call ${formatNumber(spread(list.map((x) => x.oursUs)).median)} vs ${formatNumber(spread(list.map((x) => x.floorUs)).median)}; quietest round (load ${quietest.load}) ${formatNumber(quietest.ratio, 2)}×`,
          status: mode === "connect" || result.quick ? "n/a" : r.median <= goal ? "pass" : "miss",
        });
      }
  return v;
}

/** Every round's ratio of each protocol to its floor, with the load average each round started at. */
function transportRoundsTable(transport: TransportResult): string {
  const roundNumbers = [...new Set(transport.rounds.map((r) => r.round))].sort((a, b) => a - b);
  const loads = roundNumbers.map((n) => transport.rounds.find((r) => r.round === n)?.load);
  const keys = [...new Set(transport.rounds.map((r) => `${r.op}\u0000${r.target}`))];
  const body = keys.map((k) => {
    const [op, target] = k.split("\u0000") as [string, string];
    const list = pairedOf(transport, op, target);
    const cells = roundNumbers.map((n) => {
      const x = list.find((r) => r.round === n);
      return x === undefined ? "–" : `${formatNumber(x.ratio, 2)}`;
    });
    const r = spread(list.map((x) => x.ratio));
    return [op, target, `${formatNumber(r.median, 2)}×`, ...cells];
  });
  const b = transport.bounds;
  return `### transport: server CPU per call ÷ its floor's, per round (segments of ≤ ${b.maxMs} ms or ${b.maxCalls} calls, ${b.concurrency} in flight; floor and server back to back)\n\n${markdownTable(
    ["op", "target", "median", ...roundNumbers.map((n, i) => `r${n + 1} (load ${loads[i]})`)],
    body,
  )}`;
}

/** The printed report: throughput tables, memory, expiry, keyspace, target verdicts, notes. */
export function renderReport(result: BenchResult, rows: readonly Row[]): string {
  const m = result.machine;
  const parts: string[] = [
    `## Memorabilia bench ${result.startedAt}${result.quick ? " (QUICK: numbers are meaningless)" : ""}`,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}`,
  ];
  if (rows.length > 0) parts.push(throughputTable(rows));
  if (result.transport !== undefined && result.transport.rounds.length > 0)
    parts.push(transportRoundsTable(result.transport));
  if (result.memory) {
    const x = result.memory;
    const r = (a: number, b?: number) => (b === undefined ? "–" : `${formatNumber(a / b, 2)}×`);
    parts.push(
      `### memory (${x.keys} keys, 12-byte keys, 8-byte values; heap delta after GC / keys; Redis: used_memory delta / keys)\n\n${markdownTable(
        ["what", "bytes/key", "vs Redis (same TTL)"],
        [
          ["core, no TTL", formatNumber(x.core), r(x.core, x.redis)],
          ["core, with TTL", formatNumber(x.coreTtl), r(x.coreTtl, x.redisTtl)],
          ["Map of {type, value, expiresAt}", formatNumber(x.mapEntry), r(x.mapEntry, x.redisTtl)],
          ["Redis, no TTL", x.redis === undefined ? "–" : formatNumber(x.redis), "–"],
          ["Redis, with TTL", x.redisTtl === undefined ? "–" : formatNumber(x.redisTtl), "–"],
        ],
      )}`,
    );
  }
  if (result.streams) {
    const x = result.streams;
    parts.push(
      `### streams (${x.entries} entries in one stream, \`XADD s <ms-seq> field <8-byte value>\`; heap delta after GC / entries; Redis: used_memory delta / entries)\n\n${markdownTable(
        ["what", "value"],
        [
          ["Memorabilia bytes/entry", formatNumber(x.bytesPerEntry)],
          ["Redis bytes/entry", x.redisBytesPerEntry === undefined ? "–" : formatNumber(x.redisBytesPerEntry)],
          [
            "vs Redis",
            x.redisBytesPerEntry === undefined ? "–" : `${formatNumber(x.bytesPerEntry / x.redisBytesPerEntry, 2)}×`,
          ],
          ["MEMORY USAGE of the stream / entries", formatNumber(x.memoryUsage / x.entries)],
          ["in-process XADD/s (execSync path)", formatNumber(x.xaddPerSec)],
          ["in-process XRANGE COUNT 100/s", formatNumber(x.xrange100PerSec)],
        ],
      )}\n\nXADD and XRANGE 100 over RESP (redis-benchmark, both servers) are rows of the throughput table.`,
    );
  }
  if (result.expiry) parts.push(renderExpiry(result.expiry));
  if (result.expiry10m) parts.push(renderExpiry(result.expiry10m));
  if (result.durability) parts.push(renderDurability(result.durability));
  if (result.keyspace) parts.push(`### keyspace size\n\n\`${JSON.stringify(result.keyspace)}\``);
  if (result.keyspace100m) parts.push(`### 100M keys in one process\n\n\`${JSON.stringify(result.keyspace100m)}\``);
  const v = verdicts(result, rows);
  if (v.length > 0) {
    parts.push(
      `### targets\n\n${markdownTable(
        ["target", "measured", "status"],
        v.map((x) => [x.target, x.measured, x.status]),
      )}`,
    );
  }
  if (result.notes.length > 0) parts.push(`### notes\n\n${result.notes.map((n) => `- ${n}`).join("\n")}`);
  return `${parts.join("\n\n")}\n`;
}

/** One mass-expiry run: the medians table, then every round of every target with its verdict. */
function renderExpiry(e: ExpiryResult): string {
  const cell = (xs: readonly number[]) => (xs.length === 0 ? "–" : formatSpread(spread(xs)));
  const ours = (name: string, runs: readonly MemorabiliaExpiry[]) => [
    name,
    cell(runs.map((x) => x.drainMs)),
    cell(runs.map((x) => x.loopDelayMaxMs)),
    cell(runs.map((x) => x.loopCpuMaxMs)),
    cell(runs.map((x) => x.sweepLongestSliceMs)),
    cell(runs.map((x) => x.probeMaxMs - x.probeMedianMs)),
    cell(runs.map((x) => x.idleProbeMaxMs)),
    cell(runs.map((x) => x.gcMaxMs)),
    // Rows from before the young generation was recorded have neither figure.
    cell(runs.filter((x) => x.scavenges !== undefined).map((x) => x.scavenges)),
    cell(runs.filter((x) => x.rssBytes !== undefined).map((x) => Math.round(x.rssBytes / 2 ** 20))),
    cell(runs.map((x) => x.loadMs)),
  ];
  const rows = [
    ours("Memorabilia", e.memorabilia),
    ours("Memorabilia, heap settled after loading", e.memorabiliaSettled),
    ours("Memorabilia, Node's default young generation (--young-generation-mb 0)", e.memorabiliaNodeYoung ?? []),
  ];
  if (e.redis.length > 0)
    rows.push([
      "Redis",
      cell(e.redis.map((x) => x.drainMs)),
      "–",
      "–",
      cell(e.redis.map((x) => x.expireCycleMaxMs)),
      cell(e.redis.map(redisStallMs)),
      cell(e.redis.map((x) => x.idleProbeMaxMs)),
      "–",
      "–",
      "–",
      cell(e.redis.map((x) => x.loadMs)),
    ]);
  const f = (x: number | undefined) => (x === undefined ? "–" : formatNumber(x));
  const perRound: string[][] = [];
  const rounds = Math.max(e.memorabilia.length, e.memorabiliaSettled.length, e.redis.length);
  for (let r = 0; r < rounds; r++) {
    for (const [name, x] of [
      ["Memorabilia", e.memorabilia[r]],
      ["Memorabilia, heap settled", e.memorabiliaSettled[r]],
      ["Memorabilia, Node's young generation", e.memorabiliaNodeYoung?.[r]],
    ] as const) {
      if (x !== undefined)
        perRound.push([
          String(r + 1),
          f(x.loadAverage),
          name,
          f(x.drainMs),
          f(x.loopDelayMaxMs),
          f(x.loopCpuMaxMs),
          f(x.loopWaitMaxMs),
          f(x.sweepLongestSliceMs),
          f(x.probeMaxMs - x.probeMedianMs),
          f(x.idleProbeMaxMs),
        ]);
    }
    const y = e.redis[r];
    if (y !== undefined)
      perRound.push([
        String(r + 1),
        f(y.loadAverage),
        "Redis",
        f(y.drainMs),
        "–",
        "–",
        "–",
        f(y.expireCycleMaxMs),
        f(redisStallMs(y)),
        f(y.idleProbeMaxMs),
      ]);
  }
  const verdicts = e.memorabilia.map(
    (x, i) => `- round ${i + 1} (load ${x.loadAverage}): ${judgeExpiryRound(x, e.redis[i]).text}`,
  );
  return `### mass expiry (${e.keys} keys due at one instant, loaded through a RESP pipe on both sides; median (min–max) over ${e.memorabilia.length} interleaved rounds)\n\n${markdownTable(
    [
      "server",
      "drain to < 1 % (ms after the deadline)",
      "server event-loop delay max ms (wall)",
      "server CPU between two 1 ms ticks, max ms",
      "longest sweep slice ms (Redis: longest expire cycle)",
      "PING stall (max − median) ms",
      "same probe, server idle, max ms",
      "longest GC pause ms",
      "scavenges in the drain",
      "server RSS MiB, drained",
      "RESP load ms",
    ],
    rows,
  )}\n\nEvery round (load avg = the host's 1-minute load average when the drain ended):\n\n${markdownTable(
    [
      "round",
      "load avg",
      "server",
      "drain ms",
      "event-loop delay max ms",
      "CPU between ticks max ms",
      "wait for a CPU max ms",
      "longest slice ms (Redis: expire cycle)",
      "PING stall ms",
      "idle PING max ms",
    ],
    perRound,
  )}\n\nVerdict per round:\n\n${verdicts.join("\n")}`;
}

/** `median (min–max)`. */
function formatSpread(s: Spread): string {
  return s.n > 1 ? `${formatNumber(s.median)} (${formatNumber(s.min)}–${formatNumber(s.max)})` : formatNumber(s.median);
}
