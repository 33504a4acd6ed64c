import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { runChild } from "./children.js";
import { type ConsoleCostDetails, runConsoleCost } from "./console-cost.js";
import { type DurabilityResult, runDurability } from "./durability.js";
import { type EtcdBenchDetails, runEtcdEngineBench } from "./etcd-engine.js";
import { type MemorabiliaExpiry, memorabiliaMassExpiry } from "./expiry.js";
import { judgeExpiryRound } from "./expiry-verdict.js";
import { runFanout } from "./fanout.js";
import { runGate } from "./gate.js";
import { runNetwork } from "./network.js";
import { findBinary, freePort, type Started, startEtcd, startMemorabilia, startRedis } from "./processes.js";
import { type RedisExpiry, redisBytesPerKey, redisBytesPerStreamEntry, redisMassExpiry } from "./redis-side.js";
import { renderReport } from "./report.js";
import { runResp, STREAM_WORKLOADS, startRespFloor } from "./resp.js";
import { type Sample, summarize } from "./stats.js";
import { runTransport, startFloor, type TransportResult } from "./transport.js";

/** The parts of the bench, in the order they run. */
export const PARTS = [
  "in-process",
  "network",
  "transport",
  "fanout",
  "gate",
  "resp",
  "memory",
  "expiry",
  "durability",
  "keyspace",
  "etcd",
  "streams",
  "console",
] as const;
/**
 * Parts that run only when named in `--only` (minutes and gigabytes each): `expiry-10m` (10M keys
 * due at one instant, the same rounds as `expiry`) and `keyspace-100m` (100M keys in one process,
 * DBSIZE, a SCAN and a mass expiry of 10M of them, `keyspace-child.ts`); `restart` (only the
 * durability part's restarts and ready times, 5 interleaved rounds, each with its load average).
 */
export const ON_DEMAND_PARTS = ["expiry-10m", "keyspace-100m", "restart"] as const;
export type Part = (typeof PARTS)[number] | (typeof ON_DEMAND_PARTS)[number];

/** One mass-expiry run: every round of every target (rounds interleaved, the first target rotating). */
export interface ExpiryResult {
  keys: number;
  memorabilia: MemorabiliaExpiry[];
  /** The same server with a full GC after loading (the drain without the load's garbage). */
  memorabiliaSettled: MemorabiliaExpiry[];
  /** The same server with Node's default young generation (`--young-generation-mb 0`): the A/B of the server's own. */
  memorabiliaNodeYoung?: MemorabiliaExpiry[];
  redis: RedisExpiry[];
  /** Load average (1 min) read from the OS before each round, in round order. */
  loadAverages?: number[];
  /** Each round's verdict line (expiry-verdict.ts), in round order. */
  verdicts?: string[];
}

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** A tiny run of every part (plumbing check, numbers meaningless). */
  readonly quick?: boolean;
  /** Rounds of the mass-expiry parts. @default 3 (1 with `quick`) */
  readonly expiryRounds?: number;
  /** Only these parts. @default all */
  readonly only?: readonly string[];
  /** Where the raw JSON goes. */
  readonly outDir: string;
  /** Progress sink. @default a status line on stderr */
  readonly progress?: (line: string) => void;
}

/** Everything one run measured (the raw JSON). */
export interface BenchResult {
  readonly startedAt: string;
  readonly quick: boolean;
  readonly machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  readonly samples: Sample[];
  memory?: { keys: number; core: number; coreTtl: number; mapEntry: number; redis?: number; redisTtl?: number };
  /** The streams part: bytes per entry (heap delta after GC; Redis used_memory delta), in-process rates. */
  streams?: {
    entries: number;
    bytesPerEntry: number;
    memoryUsage: number;
    redisBytesPerEntry?: number;
    xaddPerSec: number;
    xrange100PerSec: number;
  };
  /** Mass expiry of 1M keys, one entry per round and target. */
  expiry?: ExpiryResult;
  /** Mass expiry of 10M keys (`--only=expiry-10m`). */
  expiry10m?: ExpiryResult;
  keyspace?: Record<string, unknown>;
  /** 100M keys in one process (`--only=keyspace-100m`). */
  keyspace100m?: Record<string, unknown>;
  /** `--engine etcd` against raw etcd: p50 latencies and leader-kill write gaps (ops/s are in samples). */
  etcd?: EtcdBenchDetails;
  durability?: DurabilityResult;
  /** The transport part: per-round paired ratios of each protocol against its floor. */
  transport?: TransportResult;
  /** The console part: every window of the writer's run, with and without a console. */
  console?: ConsoleCostDetails;
  readonly notes: string[];
}

const INSTALL_HINT = "install it with: sudo apt-get install -y redis-server etcd-server";

function statusLine(): (line: string) => void {
  const tty = process.stderr.isTTY;
  return (line) => {
    if (tty) process.stderr.write(`\r\x1b[K… ${line.slice(0, (process.stderr.columns ?? 100) - 3)}`);
    else process.stderr.write(`… ${line}\n`);
  };
}

/** The 1-minute load average (os.loadavg), the host's busyness beside each round. */
function loadNow(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** `keys` due at one instant on Memorabilia (default and heap-settled) and Redis, `rounds` interleaved rounds. */
async function runExpiry(
  keys: number,
  rounds: number,
  bound: number,
  redis: Started | undefined,
  progress: (line: string) => void,
  notes: string[],
): Promise<ExpiryResult> {
  const expiry: ExpiryResult = {
    keys,
    memorabilia: [],
    memorabiliaSettled: [],
    memorabiliaNodeYoung: [],
    redis: [],
    loadAverages: [],
    verdicts: [],
  };
  // 10M keys with TTLs need ~1.3 GiB of heap plus the load's garbage: past Node's default limit.
  const heap = keys > 2_000_000 ? 8192 : undefined;
  const targets: [string, () => Promise<void>][] = [
    [
      "Memorabilia",
      async () => void expiry.memorabilia.push(await memorabiliaMassExpiry(keys, bound, { heapMiB: heap })),
    ],
  ];
  // The heap-settled variant only at 1M: a 10M round takes minutes on a busy host.
  if (heap === undefined) {
    targets.push([
      "Memorabilia (heap settled)",
      async () => void expiry.memorabiliaSettled.push(await memorabiliaMassExpiry(keys, bound, { gcSettle: true })),
    ]);
  }
  // The young generation every server start sets (server/young-generation.ts) against Node's own,
  // interleaved: what the server's default buys (scavenges in the drain) and costs (RSS).
  targets.push([
    "Memorabilia (Node's young generation)",
    async () =>
      void expiry.memorabiliaNodeYoung?.push(
        await memorabiliaMassExpiry(keys, bound, { heapMiB: heap, youngGenerationMb: 0 }),
      ),
  ]);
  if (redis) {
    const port = redis.port;
    targets.push(["Redis", async () => void expiry.redis.push(await redisMassExpiry(port, keys, bound))]);
  }
  for (let round = 0; round < rounds; round++) {
    expiry.loadAverages?.push(loadNow());
    for (let i = 0; i < targets.length; i++) {
      const [name, run] = targets[(i + round) % targets.length] as [string, () => Promise<void>];
      progress(`mass expiry: ${keys} keys due at once, ${name} (round ${round + 1}/${rounds})`);
      try {
        await run();
        // Each round's figures as they come: a long run cut short still leaves its rounds.
        const last = (
          name === "Redis"
            ? expiry.redis
            : name === "Memorabilia"
              ? expiry.memorabilia
              : name.includes("Node's")
                ? (expiry.memorabiliaNodeYoung ?? [])
                : expiry.memorabiliaSettled
        ).at(-1);
        progress(`mass expiry ${keys} keys, ${name}, round ${round + 1}, load ${loadNow()}: ${JSON.stringify(last)}`);
      } catch (e) {
        notes.push(`mass expiry (${keys} keys) on ${name} failed: ${String(e).split("\n")[0]}`);
        progress(`mass expiry ${keys} keys, ${name}, round ${round + 1} failed: ${String(e).split("\n")[0]}`);
      }
    }
    const ours = expiry.memorabilia[round];
    if (ours !== undefined) {
      const verdict = judgeExpiryRound(ours, expiry.redis[round]);
      const line = `mass expiry ${keys} keys, round ${round + 1} verdict (load ${ours.loadAverage}): ${verdict.text}`;
      expiry.verdicts?.push(verdict.text);
      // The verdict is printed whatever the progress sink does with status lines.
      process.stderr.write(`\n${line}\n`);
    }
  }
  return expiry;
}

/** Runs the selected parts and writes `<outDir>/bench-<time>.json` and `<outDir>/latest.json`; returns the result and the report text. */
export async function runBench(options: BenchOptions): Promise<{ result: BenchResult; report: string; file: string }> {
  const quick = options.quick ?? false;
  const parts = new Set<string>(options.only ?? PARTS);
  const progress = options.progress ?? statusLine();
  const expiryRounds = options.expiryRounds ?? (quick ? 1 : 3);
  const notes: string[] = [];
  const result: BenchResult = {
    startedAt: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    samples: [],
    notes,
  };

  if (parts.has("in-process")) {
    // In a process of its own, which loads only the store and lru-cache (in-process-child.ts):
    // this one has loaded ioredis, whose `extends String` slows every charCodeAt in the process.
    const [keys, ops, rounds] = quick ? [10_000, 20_000, 2] : [1_000_000, 500_000, 5];
    const load0 = loadNow();
    const child = (await runChild(
      "test/bench/in-process-child.ts",
      [String(keys), String(ops), String(rounds)],
      ["--allow-natives-syntax"],
      600_000,
      progress,
    )) as { samples: Sample[]; stringPrototypeFast: boolean | null };
    result.samples.push(...child.samples);
    notes.push(
      `in-process: load average ${load0}–${loadNow()}; own process, String.prototype ${child.stringPrototypeFast === false ? "SLOW (dictionary mode: every charCodeAt un-inlined, the rows that read key bytes are skewed)" : child.stringPrototypeFast === true ? "fast throughout" : "not checked"}`,
    );
  }

  const redisBin = findBinary("redis-server");
  const etcdBin = findBinary("etcd");
  const needServers =
    parts.has("network") ||
    parts.has("resp") ||
    parts.has("memory") ||
    parts.has("expiry") ||
    parts.has("expiry-10m") ||
    parts.has("streams");
  if (needServers && !redisBin) notes.push(`redis-server not found: Redis columns skipped (${INSTALL_HINT})`);
  let redis: Started | undefined;
  if (needServers && redisBin) {
    progress("starting redis-server");
    redis = await startRedis(redisBin).catch((e) => {
      notes.push(`redis-server did not start: ${String(e).split("\n")[0]}`);
      return undefined;
    });
  }

  try {
    if (parts.has("network")) {
      if (!etcdBin) notes.push(`etcd not found: etcd columns skipped (${INSTALL_HINT})`);
      else
        notes.push(
          "etcd runs as one member with its default durability: its WAL is fsynced (fdatasync) before each write is acknowledged; Memorabilia in the network part runs without --data-dir (memory only)",
        );
      progress("starting the Memorabilia server");
      const memorabilia = await startMemorabilia();
      // The bare node:http2 reply driven by the same raw client: what any Node server can reach.
      const floor = await startFloor("h2c");
      const etcd = etcdBin
        ? await startEtcd(etcdBin).catch((e) => {
            notes.push(`etcd did not start: ${String(e).split("\n")[0]}`);
            return undefined;
          })
        : undefined;
      try {
        result.samples.push(
          ...(await runNetwork(
            { memorabilia, redis, etcd, floor },
            {
              rounds: quick ? 1 : 3,
              bounds: quick
                ? { concurrency: 50, maxCalls: 500, maxMs: 300 }
                : { concurrency: 50, maxCalls: 200_000, maxMs: 1500 },
              batch: 100,
              onProgress: progress,
              notes,
            },
          )),
        );
      } finally {
        await memorabilia.stop();
        await floor.stop();
        await etcd?.stop();
      }
    }

    if (parts.has("transport")) {
      // Short segments, many rounds: each server segment sits between floor segments. Bounded by
      // calls (5,000: ~0.1-0.25 s on a quiet host) so a busy host's segment still holds enough
      // calls to average a GC over; 250 ms segments held ~1,000 calls at load 18 and their ratios
      // spread 1-13×.
      const transport = await runTransport({
        rounds: quick ? 1 : 9,
        bounds: quick
          ? { concurrency: 50, maxCalls: 500, maxMs: 300 }
          : { concurrency: 50, maxCalls: 5_000, maxMs: 1_000 },
        onProgress: progress,
        notes,
      });
      result.samples.push(...transport.samples);
      result.transport = transport;
    }

    if (parts.has("fanout")) {
      result.samples.push(
        ...(await runFanout({
          rounds: quick ? 1 : 3,
          watchers: 1_000,
          bounds: quick
            ? { concurrency: 8, maxCalls: 2_000, maxMs: 1_000 }
            : { concurrency: 8, maxCalls: 200_000, maxMs: 3_000 },
          onProgress: progress,
          notes,
        })),
      );
    }

    if (parts.has("gate")) {
      result.samples.push(
        ...(await runGate({
          rounds: quick ? 1 : 3,
          bounds: quick
            ? { concurrency: 50, maxCalls: 500, maxMs: 300 }
            : { concurrency: 50, maxCalls: 200_000, maxMs: 1500 },
          onProgress: progress,
          notes,
        })),
      );
    }

    if (parts.has("resp")) {
      if (!findBinary("redis-benchmark"))
        notes.push("redis-benchmark not found: the RESP part is skipped (apt-get install redis-tools)");
      else {
        progress("starting the Memorabilia server with --resp-port");
        const respPort = await freePort();
        const memorabilia = await startMemorabilia(["--resp-port", String(respPort)]);
        const floor = await startRespFloor();
        try {
          result.samples.push(
            ...(await runResp(
              { memorabilia, respPort, redis, floor },
              { rounds: quick ? 1 : 3, requests: quick ? 5_000 : 200_000, clients: 50, onProgress: progress, notes },
            )),
          );
        } finally {
          await memorabilia.stop();
          await floor.stop();
        }
      }
    }

    if (parts.has("streams")) {
      const entries = quick ? 50_000 : 1_000_000;
      progress(`streams: ${entries} entries in one stream, in process`);
      const r = await runChild("test/bench/streams-memory-child.ts", [String(entries)], ["--expose-gc"], 300_000);
      result.streams = {
        entries,
        bytesPerEntry: r.bytesPerEntry as number,
        memoryUsage: r.memoryUsage as number,
        xaddPerSec: r.xaddPerSec as number,
        xrange100PerSec: r.xrange100PerSec as number,
      };
      if (redis) {
        progress(`streams: ${entries} entries in Redis`);
        result.streams.redisBytesPerEntry = await redisBytesPerStreamEntry(redis.port, entries);
      }
      if (!findBinary("redis-benchmark")) notes.push("redis-benchmark not found: the streams RESP rows are skipped");
      else {
        progress("streams: starting the Memorabilia server with --resp-port");
        const respPort = await freePort();
        const memorabilia = await startMemorabilia(["--resp-port", String(respPort)]);
        try {
          result.samples.push(
            ...(await runResp(
              { memorabilia, respPort, redis },
              { rounds: quick ? 1 : 3, requests: quick ? 5_000 : 200_000, clients: 50, onProgress: progress, notes },
              STREAM_WORKLOADS,
            )),
          );
        } finally {
          await memorabilia.stop();
        }
      }
    }

    if (parts.has("memory")) {
      const keys = quick ? 50_000 : 1_000_000;
      const child = async (kind: string) => {
        progress(`memory: ${keys} keys, ${kind}`);
        const r = await runChild("test/bench/memory-child.ts", [kind, String(keys)], ["--expose-gc"], 300_000);
        return r.bytesPerKey as number;
      };
      result.memory = {
        keys,
        core: await child("core"),
        coreTtl: await child("core-ttl"),
        mapEntry: await child("map"),
      };
      if (redis) {
        progress(`memory: ${keys} keys in Redis`);
        result.memory.redis = await redisBytesPerKey(redis.port, keys, false);
        result.memory.redisTtl = await redisBytesPerKey(redis.port, keys, true);
      }
    }

    if (parts.has("expiry")) {
      result.expiry = await runExpiry(
        quick ? 20_000 : 1_000_000,
        expiryRounds,
        quick ? 10 : 60,
        redis,
        progress,
        notes,
      );
    }
    if (parts.has("expiry-10m")) {
      result.expiry10m = await runExpiry(
        quick ? 200_000 : 10_000_000,
        expiryRounds,
        quick ? 20 : 120,
        redis,
        progress,
        notes,
      );
    }
  } finally {
    await redis?.stop();
  }

  if (parts.has("durability") || parts.has("restart")) {
    const restartOnly = !parts.has("durability");
    result.durability = await runDurability({
      keys: quick ? 20_000 : 1_000_000,
      rounds: quick ? 1 : restartOnly ? 5 : 3,
      writes: !restartOnly,
      bounds: quick
        ? { concurrency: 50, maxCalls: 2000, maxMs: 500 }
        : { concurrency: 50, maxCalls: 200_000, maxMs: 3000 },
      onProgress: progress,
      notes,
      redisBin,
    });
  }

  if (parts.has("keyspace")) {
    const keys = quick ? 200_000 : 20_000_000;
    const bound = quick ? 30 : 300;
    progress(`keyspace: loading ${keys} keys into one store (bounded to ${bound} s)`);
    result.keyspace = await runChild(
      "test/bench/keyspace-child.ts",
      [String(keys), String(bound)],
      ["--max-old-space-size=16384"],
      (bound + 120) * 1000,
      (line) => progress(`keyspace: ${line}`),
    ).catch((e) => ({ error: String(e).split("\n")[0] }));
  }

  if (parts.has("keyspace-100m")) {
    const keys = quick ? 1_000_000 : 100_000_000;
    const bound = quick ? 60 : 1500;
    progress(
      `keyspace: loading ${keys} keys into one store, then DBSIZE, a SCAN and a mass expiry of a tenth (bounded to ${bound} s)`,
    );
    result.keyspace100m = await runChild(
      "test/bench/keyspace-child.ts",
      [String(keys), String(bound), "--expire-tenth"],
      ["--max-old-space-size=24576"],
      // The child's own bounds: the load, a fifth of it for the SCAN, half of it for the drain, plus
      // the PEXPIREAT pass and its deadline margin (session 8: bound + 300 s killed a run mid-SCAN).
      (2 * bound + 600) * 1000,
      (line) => progress(`keyspace-100m: ${line}`),
    ).catch((e) => ({ error: String(e).split("\n")[0] }));
  }

  if (parts.has("console")) {
    const consoleCost = await runConsoleCost({
      // 16 pairs of 4 s windows beside one writer that never stops (console-cost.ts says why).
      pairs: quick ? 1 : 16,
      windowMs: quick ? 1_000 : 4_000,
      onProgress: progress,
      notes,
    });
    result.samples.push(...consoleCost.samples);
    result.console = consoleCost.details;
  }

  if (parts.has("etcd")) {
    if (!etcdBin) notes.push(`etcd not found: the --engine etcd part is skipped (${INSTALL_HINT})`);
    else {
      const etcd = await runEtcdEngineBench({ quick, progress, notes }).catch((e) => {
        notes.push(`etcd part failed: ${String(e).split("\n")[0]}`);
        return undefined;
      });
      if (etcd) {
        result.samples.push(...etcd.samples);
        result.etcd = etcd.details;
      }
    }
  }

  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  const report = renderReport(result, summarize(result.samples));
  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, `bench-${result.startedAt.replace(/[:.]/g, "-")}.json`);
  const json = `${JSON.stringify({ ...result, rows: summarize(result.samples), report }, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(options.outDir, "latest.json"), json);
  process.stdout.write(`${report}\nRaw results: ${file}\n`);
  return { result, report, file };
}
