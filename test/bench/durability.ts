/**
 * Durability bench (`--only=durability`): Memorabilia's persistence beside redis-server's, on the
 * same machine in the same run.
 *
 * - Acknowledged writes/s per fsync mode: SET of fresh keys, 50 in flight, over gRPC (Memorabilia
 *   `--fsync always|everysec|no`, acknowledged once written / fsynced) and ioredis (Redis with
 *   `appendonly yes`, `appendfsync always|everysec|no`). Interleaved rounds.
 * - Restart: time from spawn to serving, and the load time the server logs, for the same keys
 *   (`key:<i>` = `value:<i>`) as a Memorabilia snapshot vs a Redis RDB, and as a Memorabilia log vs
 *   a Redis AOF (no rewrite: commands only); RSS once serving.
 * - Ready time with an empty data dir, beside no data dir and an empty Redis.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { defaultYoungGenerationMbForArgs, youngGenerationNodeFlags } from "../../server/young-generation.js";
import { SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { serverBundle } from "./bundle.js";
import { runChild } from "./children.js";
import { type LoadBounds, timedLoad } from "./load.js";
import { cpuMs, freePort, rssBytes, type Started, track, waitForLine } from "./processes.js";
import { encode, RawGrpc } from "./raw-grpc.js";
import { formatNumber, markdownTable, spread } from "./stats.js";

type Mode = "off" | "always" | "everysec" | "no";
/** `off`: no persistence at all (Memorabilia without --data-dir, Redis with appendonly no): the baseline. */
const MODES: readonly Mode[] = ["off", "always", "everysec", "no"];
/** Distinct keys the write load cycles through (requests encoded up front). */
const WRITE_KEYS = 20_000;

/** One restart measurement. */
export interface Restart {
  /** Spawn to serving (ms). */
  readonly readyMs: number;
  /** The load time the server itself reports (ms). */
  readonly loadMs: number;
  /**
   * CPU the server spent loading (ms, every thread): Memorabilia's own figure; Redis's whole
   * process CPU at "Ready" (its start-up outside the load is a few ms). Unlike wall time, this
   * does not depend on what else the (shared) machine runs.
   */
  readonly loadCpuMs: number;
  readonly keys: number;
  readonly rssMiB: number;
  readonly fileBytes: number;
  /** The host's 1-minute load average when this restart finished. */
  readonly loadAvg?: number;
}

/** What the durability part measured. */
export interface DurabilityResult {
  readonly keys: number;
  /** Acknowledged writes/s per round, per mode and side. */
  readonly writes: Record<Mode, { memorabilia: number[]; redis: number[] }>;
  /** Server CPU µs per acknowledged write (utime + stime of the server process), per round. */
  readonly cpuUs: Record<Mode, { memorabilia: number[]; redis: number[] }>;
  readonly restart: {
    memorabiliaSnapshot: Restart[];
    redisRdb: Restart[];
    memorabiliaLog: Restart[];
    redisAof: Restart[];
  };
  /** Spawn to serving (ms) with nothing to load. */
  readonly ready: { memorabiliaNoDir: number[]; memorabiliaEmptyDir: number[]; redis: number[] };
}

/** Options of {@link runDurability}. */
export interface DurabilityOptions {
  readonly keys: number;
  readonly rounds: number;
  readonly bounds: LoadBounds;
  readonly onProgress: (line: string) => void;
  readonly notes: string[];
  readonly redisBin: string | undefined;
  /** Measure acknowledged writes (section 1); false: restarts and ready times only. @default true */
  readonly writes?: boolean;
}

const VALUE = new TextEncoder().encode("vvvvvvvvvvvvvvvv");
let setRequests: Buffer[] | undefined;
const setRequest = (i: number): Buffer => {
  setRequests ??= Array.from({ length: WRITE_KEYS }, (_, k) =>
    encode(SetRequestSchema, { key: `w:${k}`, value: VALUE }),
  );
  return setRequests[i % WRITE_KEYS] as Buffer;
};

async function startMemorabiliaAt(
  args: readonly string[],
): Promise<{ started: Started; readyMs: number; loadMs: number; loadCpuMs: number; keys: number }> {
  const port = await freePort();
  const t0 = performance.now();
  // The young generation on the node command line, as startMemorabilia gives it: without it the
  // server relaunches itself and started.pid (whose CPU and RSS are read below) would be the relay.
  const young = youngGenerationNodeFlags(defaultYoungGenerationMbForArgs(args));
  const child = spawn(
    process.execPath,
    [...young, serverBundle(), "--host", "127.0.0.1", "--port", String(port), ...args],
    {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const loaded = args.includes("--data-dir")
    ? waitForLine(
        child,
        /persistence: loaded (\d+) keys in (\d+) ms \((\d+) ms CPU\)/,
        "memorabilia server",
        600_000,
      ).catch(() => undefined)
    : Promise.resolve(undefined);
  const ready = waitForLine(child, /Server listening at (\S+?)"/, "memorabilia server", 600_000);
  const started = track("memorabilia (durability)", child, port, `http://127.0.0.1:${port}`);
  try {
    await ready;
  } catch (e) {
    await started.stop();
    throw e;
  }
  const readyMs = performance.now() - t0;
  const m = await loaded;
  return { started, readyMs, loadMs: Number(m?.[2] ?? 0), loadCpuMs: Number(m?.[3] ?? 0), keys: Number(m?.[1] ?? 0) };
}

async function startRedisAt(
  bin: string,
  dir: string,
  extra: readonly string[],
): Promise<{ started: Started; readyMs: number; loadMs: number; loadCpuMs: number; keys: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--protected-mode", "yes", ...extra],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let loadMs = 0;
  let keys = 0;
  child.stdout?.on("data", (b: Buffer) => {
    const text = b.toString();
    const l = /DB loaded from (?:disk|append only file): ([\d.]+) seconds/.exec(text);
    if (l) loadMs = Number(l[1]) * 1000;
    const k = /keys loaded: (\d+)/.exec(text);
    if (k) keys = Number(k[1]);
  });
  const ready = waitForLine(child, /Ready to accept connections/, "redis-server", 600_000);
  const started = track("redis (durability)", child, port, `redis://127.0.0.1:${port}`);
  try {
    await ready;
  } catch (e) {
    await started.stop();
    throw e;
  }
  return { started, readyMs: performance.now() - t0, loadMs, loadCpuMs: cpuMs(started.pid) ?? 0, keys };
}

const dirBytes = (dir: string): number => {
  let n = 0;
  const walk = (d: string): void => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory()) walk(join(d, f.name));
      else n += statSync(join(d, f.name)).size;
    }
  };
  walk(dir);
  return n;
};

/** Writes `count` keys into Redis through pipelines of 10,000. */
async function fillRedis(port: number, count: number): Promise<void> {
  const redis = new Redis({ host: "127.0.0.1", port });
  try {
    for (let i = 0; i < count; ) {
      const p = redis.pipeline();
      for (let j = 0; j < 10_000 && i < count; j++, i++) p.set(`key:${i}`, `value:${i}`);
      await p.exec();
    }
  } finally {
    redis.disconnect();
  }
}

/** Runs the durability part. */
export async function runDurability(o: DurabilityOptions): Promise<DurabilityResult> {
  const root = mkdtempSync(join(tmpdir(), "memorabilia-bench-durability-"));
  const result: DurabilityResult = {
    keys: o.keys,
    writes: {
      off: { memorabilia: [], redis: [] },
      always: { memorabilia: [], redis: [] },
      everysec: { memorabilia: [], redis: [] },
      no: { memorabilia: [], redis: [] },
    },
    cpuUs: {
      off: { memorabilia: [], redis: [] },
      always: { memorabilia: [], redis: [] },
      everysec: { memorabilia: [], redis: [] },
      no: { memorabilia: [], redis: [] },
    },
    restart: { memorabiliaSnapshot: [], redisRdb: [], memorabiliaLog: [], redisAof: [] },
    ready: { memorabiliaNoDir: [], memorabiliaEmptyDir: [], redis: [] },
  };
  try {
    // 1. Acknowledged writes/s (requests encoded before any timing).
    setRequest(0);
    for (let round = 0; round < (o.writes === false ? 0 : o.rounds); round++) {
      for (const mode of MODES) {
        const sides: [string, () => Promise<void>][] = [
          [
            "memorabilia",
            async () => {
              const dir = join(root, `w-m-${mode}-${round}`);
              const m = await startMemorabiliaAt(mode === "off" ? [] : ["--data-dir", dir, "--fsync", mode]);
              const client = new RawGrpc(m.started.url);
              try {
                const call = async (i: number) => {
                  await client.unary("/memorabilia.v1.StringsService/Set", setRequest(i));
                  return 1;
                };
                // Warm-up (JIT, connections, the first files), not timed.
                await timedLoad(call, o.bounds, undefined, { group: "", op: "", target: "", round });
                const s = await timedLoad(call, o.bounds, m.started.pid, {
                  group: "durability",
                  op: "SET",
                  target: `memorabilia --fsync ${mode}`,
                  round,
                });
                result.writes[mode].memorabilia.push(s.ops / s.seconds);
                if (s.serverCpuMs !== undefined) result.cpuUs[mode].memorabilia.push((s.serverCpuMs * 1000) / s.ops);
              } finally {
                client.close();
                await m.started.stop();
                rmSync(dir, { recursive: true, force: true });
              }
            },
          ],
        ];
        if (o.redisBin !== undefined) {
          const bin = o.redisBin;
          sides.push([
            "redis",
            async () => {
              const dir = join(root, `w-r-${mode}-${round}`);
              mkdirSync(dir);
              const r = await startRedisAt(
                bin,
                dir,
                mode === "off" ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", mode],
              );
              const redis = new Redis({ host: "127.0.0.1", port: r.started.port });
              try {
                const call = async (i: number) => {
                  await redis.set(`w:${i % WRITE_KEYS}`, "vvvvvvvvvvvvvvvv");
                  return 1;
                };
                await timedLoad(call, o.bounds, undefined, { group: "", op: "", target: "", round });
                const s = await timedLoad(call, o.bounds, r.started.pid, {
                  group: "durability",
                  op: "SET",
                  target: `redis appendfsync ${mode}`,
                  round,
                });
                result.writes[mode].redis.push(s.ops / s.seconds);
                if (s.serverCpuMs !== undefined) result.cpuUs[mode].redis.push((s.serverCpuMs * 1000) / s.ops);
              } finally {
                redis.disconnect();
                await r.started.stop();
                rmSync(dir, { recursive: true, force: true });
              }
            },
          ]);
        }
        for (let i = 0; i < sides.length; i++) {
          const [name, run] = sides[(i + round) % sides.length] as [string, () => Promise<void>];
          o.onProgress(`durability: acknowledged SETs, ${name} fsync ${mode} (round ${round + 1}/${o.rounds})`);
          await run().catch((e: unknown) =>
            o.notes.push(`durability writes ${name} ${mode}: ${String(e).split("\n")[0]}`),
          );
        }
      }
    }

    // 2. Restart with the same keys.
    o.onProgress(`durability: writing ${o.keys} keys as a Memorabilia snapshot and as a log`);
    const snapDir = join(root, "m-snapshot");
    const logDir = join(root, "m-log");
    await runChild("test/bench/durability-child.ts", [snapDir, String(o.keys), "snapshot"], [], 600_000);
    await runChild("test/bench/durability-child.ts", [logDir, String(o.keys), "log"], [], 600_000);
    const rdbDir = join(root, "r-rdb");
    const aofDir = join(root, "r-aof");
    mkdirSync(rdbDir);
    mkdirSync(aofDir);
    if (o.redisBin !== undefined) {
      o.onProgress(`durability: writing ${o.keys} keys as a Redis RDB and as an AOF`);
      const a = await startRedisAt(o.redisBin, rdbDir, ["--appendonly", "no"]);
      await fillRedis(a.started.port, o.keys);
      const saver = new Redis({ host: "127.0.0.1", port: a.started.port });
      await saver.save();
      saver.disconnect();
      await a.started.stop();
      const b = await startRedisAt(o.redisBin, aofDir, [
        "--appendonly",
        "yes",
        "--appendfsync",
        "no",
        "--auto-aof-rewrite-percentage",
        "0",
      ]);
      await fillRedis(b.started.port, o.keys);
      await b.started.stop();
    }
    const measure = async (
      list: Restart[],
      dir: string,
      start: () => Promise<{ started: Started; readyMs: number; loadMs: number; loadCpuMs: number; keys: number }>,
    ) => {
      const s = await start();
      const rss = rssBytes(s.started.pid) ?? 0;
      await s.started.stop();
      list.push({
        readyMs: s.readyMs,
        loadMs: s.loadMs,
        loadCpuMs: s.loadCpuMs,
        keys: s.keys,
        rssMiB: rss / 2 ** 20,
        fileBytes: dirBytes(dir),
        loadAvg: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      });
    };
    for (let round = 0; round < o.rounds; round++) {
      const runs: [string, () => Promise<void>][] = [
        [
          "Memorabilia snapshot",
          () =>
            measure(result.restart.memorabiliaSnapshot, snapDir, () =>
              startMemorabiliaAt(["--data-dir", snapDir, "--snapshot-min-log-bytes", String(2 ** 40)]),
            ),
        ],
        [
          "Memorabilia log",
          () =>
            measure(result.restart.memorabiliaLog, logDir, () =>
              startMemorabiliaAt(["--data-dir", logDir, "--snapshot-min-log-bytes", String(2 ** 40)]),
            ),
        ],
      ];
      const bin = o.redisBin;
      if (bin !== undefined) {
        runs.push([
          "Redis RDB",
          () => measure(result.restart.redisRdb, rdbDir, () => startRedisAt(bin, rdbDir, ["--appendonly", "no"])),
        ]);
        runs.push([
          "Redis AOF",
          () =>
            measure(result.restart.redisAof, aofDir, () =>
              startRedisAt(bin, aofDir, ["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"]),
            ),
        ]);
      }
      for (let i = 0; i < runs.length; i++) {
        const [name, run] = runs[(i + round) % runs.length] as [string, () => Promise<void>];
        o.onProgress(`durability: restart with ${o.keys} keys, ${name} (round ${round + 1}/${o.rounds})`);
        await run().catch((e: unknown) => o.notes.push(`durability restart ${name}: ${String(e).split("\n")[0]}`));
      }
    }

    // 3. Ready with nothing to load.
    for (let round = 0; round < o.rounds; round++) {
      o.onProgress(`durability: ready time with nothing to load (round ${round + 1}/${o.rounds})`);
      const none = await startMemorabiliaAt([]);
      await none.started.stop();
      result.ready.memorabiliaNoDir.push(none.readyMs);
      const dir = join(root, `empty-${round}`);
      const empty = await startMemorabiliaAt(["--data-dir", dir]);
      await empty.started.stop();
      result.ready.memorabiliaEmptyDir.push(empty.readyMs);
      if (o.redisBin !== undefined) {
        const rdir = join(root, `r-empty-${round}`);
        mkdirSync(rdir);
        const r = await startRedisAt(o.redisBin, rdir, ["--appendonly", "yes"]);
        await r.started.stop();
        result.ready.redis.push(r.readyMs);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return result;
}

const cell = (xs: readonly number[], digits = 0): string => {
  if (xs.length === 0) return "–";
  const s = spread(xs);
  const f = (x: number) => (digits === 0 ? String(Math.round(x)) : x.toFixed(digits));
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
};

/** The report section of {@link runDurability}'s result. */
export function renderDurability(d: DurabilityResult): string {
  const writes = markdownTable(
    [
      "fsync mode",
      "Memorabilia acked SET/s (gRPC raw h2, 50 in flight)",
      "Redis AOF acked SET/s (ioredis, 50 in flight)",
      "ratio",
      "kept of its own `off` rate: Memorabilia",
      "Redis",
      "server CPU µs per acked SET: Memorabilia",
      "Redis",
    ],
    MODES.map((mode) => {
      const m = d.writes[mode].memorabilia;
      const r = d.writes[mode].redis;
      const cpu = d.cpuUs?.[mode];
      const ratio = m.length > 0 && r.length > 0 ? `${formatNumber(spread(m).median / spread(r).median, 2)}×` : "–";
      // The persistence's own cost, apart from the request path: each side against itself without it.
      const kept = (xs: readonly number[], off: readonly number[]): string =>
        mode === "off" || xs.length === 0 || off.length === 0
          ? "–"
          : `${Math.round((100 * spread(xs).median) / spread(off).median)} %`;
      return [
        mode === "off" ? "off (no persistence)" : mode,
        cell(m),
        cell(r),
        ratio,
        kept(m, d.writes.off.memorabilia),
        kept(r, d.writes.off.redis),
        cell(cpu?.memorabilia ?? [], 1),
        cell(cpu?.redis ?? [], 1),
      ];
    }),
  );
  const writesNote =
    "The `ratio` column compares whole request paths (Memorabilia's Node gRPC stack against Redis's C one: see the `off` row); the `kept` columns isolate what persistence itself costs each server.";
  const row = (name: string, xs: readonly Restart[]) => [
    name,
    cell(xs.map((x) => x.loadMs)),
    cell(xs.map((x) => x.loadCpuMs ?? 0)),
    cell(xs.map((x) => x.readyMs)),
    cell(xs.map((x) => x.keys)),
    cell(xs.map((x) => x.rssMiB)),
    cell(
      xs.map((x) => x.fileBytes / 2 ** 20),
      1,
    ),
  ];
  const restart = markdownTable(
    ["files", "load ms (server's own figure)", "load CPU ms", "spawn to serving ms", "keys", "RSS MiB", "files MiB"],
    [
      row("Memorabilia snapshot", d.restart.memorabiliaSnapshot),
      row("Redis RDB", d.restart.redisRdb),
      row("Memorabilia log (one frame per 100 SETs)", d.restart.memorabiliaLog),
      row("Redis AOF (commands, no rewrite)", d.restart.redisAof),
    ],
  );
  // Each round's snapshot and RDB load CPU side by side (they ran back to back), with the load.
  const rounds = d.restart.memorabiliaSnapshot.map((m, i) => {
    const r = d.restart.redisRdb[i];
    return [
      String(i + 1),
      String(Math.round(m.loadCpuMs)),
      r === undefined ? "–" : String(Math.round(r.loadCpuMs)),
      r === undefined || r.loadCpuMs === 0 ? "–" : `${formatNumber(m.loadCpuMs / r.loadCpuMs, 2)}×`,
      String(m.loadAvg ?? "–"),
    ];
  });
  const perRound = markdownTable(
    ["round", "snapshot load CPU ms", "Redis RDB load CPU ms", "ratio", "load avg"],
    rounds,
  );
  const ready = markdownTable(
    ["nothing to load", "spawn to serving ms"],
    [
      ["Memorabilia, no --data-dir", cell(d.ready.memorabiliaNoDir)],
      ["Memorabilia, empty --data-dir", cell(d.ready.memorabiliaEmptyDir)],
      ["Redis, empty dir, appendonly yes", cell(d.ready.redis)],
    ],
  );
  const n = d.writes.always.memorabilia.length;
  const writePart = n === 0 ? "" : `${writes}\n\n${writesNote}\n\n`;
  return `### durability (median (min–max) over ${Math.max(n, d.restart.memorabiliaSnapshot.length)} interleaved rounds)\n\n${writePart}#### restart with ${d.keys} keys (\`key:<i>\` = \`value:<i>\`)\n\n${restart}\n\n${perRound}\n\n${ready}`;
}
