/**
 * ServerService: the server's counters (Info, and InfoStream for dashboards) and its runtime
 * settings (GetConfig/SetConfig: the sweep's cron pattern and the command limits).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type ConfigSchema,
  type EvictionInfoSchema,
  type PersistenceInfoSchema,
  type ServerInfoSchema,
  ServerService,
  type SetConfigRequest,
} from "../gen/memorabilia/v1/server_service_pb.js";
import { bytesToArray } from "../store/bytes.js";
import type { Limits } from "../store/command.js";
import { validateSweepPattern } from "../store/expire.js";
import type { PubSubHub } from "../store/pubsub.js";
import type { Store } from "../store/store.js";
import { invalidArgument } from "./args.js";
import { abortError, checkSignal } from "./invoke.js";
import { monitorStream } from "./monitor-stream.js";
import { OpsMeter } from "./ops-meter.js";
import { guarded } from "./service-options.js";
import {
  clamp,
  type EvictionUsage,
  type MemoryUsage,
  type PersistenceUsage,
  resolveStreamingOptions,
  StreamCounter,
  type StreamingOptions,
} from "./streaming-options.js";

type ServerInfo = MessageInitShape<typeof ServerInfoSchema>;
type PersistenceInfo = MessageInitShape<typeof PersistenceInfoSchema>;
type EvictionInfo = MessageInitShape<typeof EvictionInfoSchema>;

/** The longest InfoStream interval (ms). */
const MAX_INFO_INTERVAL_MS = 3_600_000;

interface HeapMemory {
  readonly usedJSHeapSize?: number;
  readonly totalJSHeapSize?: number;
}

/** Memory figures where the runtime offers them without a host (Chromium's `performance.memory`). */
function runtimeMemory(): MemoryUsage {
  const memory = (globalThis as { performance?: { memory?: HeapMemory } }).performance?.memory;
  return { heapUsedBytes: memory?.usedJSHeapSize, heapTotalBytes: memory?.totalJSHeapSize };
}

const u64 = (n: number | undefined): bigint | undefined =>
  n === undefined || !Number.isFinite(n) || n < 0 ? undefined : BigInt(Math.round(n));

const i64 = (n: number | undefined): bigint | undefined =>
  n === undefined || !Number.isFinite(n) ? undefined : BigInt(Math.round(n));

/** The persistence section of Info (`enabled: false` when the host does not persist). */
function persistenceInfo(p: PersistenceUsage | undefined): PersistenceInfo {
  if (p === undefined) return { enabled: false };
  return {
    enabled: true,
    fsync: p.fsync,
    logBytes: u64(p.logBytes) ?? 0n,
    lastFsyncAtMs: i64(p.lastFsyncAtMs),
    fsyncs: i64(p.fsyncs) ?? 0n,
    lastSnapshotAtMs: i64(p.lastSnapshotAtMs),
    lastSnapshotDurationMs: p.lastSnapshotMs,
    snapshots: i64(p.snapshots) ?? 0n,
    recordsWritten: i64(p.recordsWritten) ?? 0n,
    bytesWritten: u64(p.bytesWritten) ?? 0n,
    loadedKeys: i64(p.loadedKeys) ?? 0n,
    loadDurationMs: p.loadMs,
    corruptTailBytesDropped: u64(p.corruptTailBytesDropped) ?? 0n,
    lastError: p.lastError,
  };
}

/** The eviction section of Info (`enabled: false` without a memory limit). */
function evictionInfo(e: EvictionUsage | undefined): EvictionInfo {
  if (e === undefined) return { enabled: false };
  return {
    enabled: true,
    maxmemoryBytes: u64(e.maxBytes) ?? 0n,
    policy: e.policy,
    usedBytes: u64(e.usedBytes) ?? 0n,
    evictedKeys: i64(e.evictedKeys) ?? 0n,
    oomRejections: i64(e.oomRejections) ?? 0n,
  };
}

/** The settings in force. */
function configOf(store: Store): MessageInitShape<typeof ConfigSchema> {
  const l = store.limits;
  return {
    sweepPattern: store.stats().sweep.pattern,
    limits: {
      maxKeyBytes: BigInt(l.maxKeyBytes),
      maxValueBytes: BigInt(l.maxValueBytes),
      maxArgs: BigInt(l.maxArgs),
      maxScanCount: BigInt(l.maxScanCount),
    },
    slowlogLogSlowerThan: BigInt(store.commandLog.slowerThan),
    slowlogMaxLen: BigInt(store.commandLog.maxLength),
  };
}

const LIMIT_FIELDS = [
  ["maxKeyBytes", "max_key_bytes"],
  ["maxValueBytes", "max_value_bytes"],
  ["maxArgs", "max_args"],
  ["maxScanCount", "max_scan_count"],
] as const;

/** Validates every field first, then applies them all (a bad value changes nothing). */
function setConfig(store: Store, req: SetConfigRequest): void {
  // Throws ERR invalid sweep pattern (INVALID_ARGUMENT) before anything changes.
  if (req.sweepPattern !== undefined) validateSweepPattern(req.sweepPattern);
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const [field, name] of LIMIT_FIELDS) {
    const value = req[field];
    if (value === undefined) continue;
    if (value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw invalidArgument(`${name} must be between 1 and ${Number.MAX_SAFE_INTEGER}, got ${value}`);
    }
    limits[field] = Number(value);
  }
  const slower = req.slowlogLogSlowerThan;
  if (slower !== undefined && (slower < -1n || slower > BigInt(Number.MAX_SAFE_INTEGER)))
    throw invalidArgument(`slowlog_log_slower_than must be between -1 and ${Number.MAX_SAFE_INTEGER}, got ${slower}`);
  const maxLen = req.slowlogMaxLen;
  if (maxLen !== undefined && maxLen > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalidArgument(`slowlog_max_len must be at most ${Number.MAX_SAFE_INTEGER}, got ${maxLen}`);
  if (req.sweepPattern !== undefined) store.setSweepPattern(req.sweepPattern);
  if (Object.keys(limits).length !== 0) store.setLimits(limits);
  if (slower !== undefined) store.commandLog.slowerThan = Number(slower);
  if (maxLen !== undefined) store.commandLog.maxLength = Number(maxLen);
}

/** Resolves after `ms`, or rejects with the abort error once `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Creates the ServerService implementation over `store` (`hub` and `streams` feed its counters). */
export function createServerService(
  store: Store,
  hub: PubSubHub,
  options: StreamingOptions = {},
  streams: StreamCounter = new StreamCounter(),
): ServiceImpl<typeof ServerService> {
  const resolved = resolveStreamingOptions(options);
  const startedAtMs = options.startedAtMs ?? store.clock.now();
  const meter = new OpsMeter(store.clock.now(), store.stats().commands);
  const memoryUsage = options.memoryUsage ?? runtimeMemory;
  const version = options.version ?? "dev";

  /* INFO */
  const info = (): ServerInfo => {
    const now = store.clock.now();
    const s = store.stats();
    const memory = memoryUsage();
    return {
      version,
      uptimeMs: BigInt(Math.max(0, now - startedAtMs)),
      atMs: BigInt(now),
      keys: BigInt(s.keys),
      keysWithTtl: BigInt(s.keysWithTtl),
      expiredKeys: BigInt(s.expiredKeys),
      hits: BigInt(s.hits),
      misses: BigInt(s.misses),
      commands: BigInt(s.commands),
      commandErrors: BigInt(s.errors),
      opsPerSec: meter.rate(now, s.commands),
      memory: {
        heapUsedBytes: u64(memory.heapUsedBytes),
        heapTotalBytes: u64(memory.heapTotalBytes),
        rssBytes: u64(memory.rssBytes),
      },
      connectedClients: options.connectedClients === undefined ? undefined : BigInt(options.connectedClients()),
      openStreams: BigInt(streams.open),
      eventSubscribers: BigInt(s.subscribers),
      pubsubChannels: BigInt(hub.channels().length),
      pubsubPatterns: BigInt(hub.numpat()),
      sweep: {
        pattern: s.sweep.pattern,
        running: s.sweep.running,
        runs: BigInt(s.sweep.runs),
        sampledKeys: BigInt(s.sweep.sampledKeys),
        expiredKeys: BigInt(s.sweep.expiredKeys),
        timeSpentMs: s.sweep.timeSpentMs,
        slices: BigInt(s.sweep.slices),
        longestSliceMs: s.sweep.longestSliceMs,
        lastStaleRatio: s.sweep.lastStaleRatio,
        lastRunAtMs: s.sweep.lastRunAtMs === null ? undefined : BigInt(s.sweep.lastRunAtMs),
      },
      persistence: persistenceInfo(options.persistence?.()),
      eviction: evictionInfo(options.eviction?.()),
    };
  };

  async function* infoStream(intervalMs: number, signal: AbortSignal): AsyncGenerator<{ info: ServerInfo }> {
    const every = clamp(intervalMs === 0 ? 1_000 : intervalMs, resolved.infoMinIntervalMs, MAX_INFO_INTERVAL_MS);
    for (;;) {
      checkSignal(signal);
      yield { info: info() };
      await sleep(every, signal);
    }
  }

  const procedure = `/${ServerService.typeName}/${ServerService.method.infoStream.name}`;
  const unary = guarded(
    ServerService,
    {
      async info(_req, ctx) {
        checkSignal(ctx);
        return { info: info() };
      },
      /* CONFIG GET */
      async getConfig(_req, ctx) {
        checkSignal(ctx);
        return { config: configOf(store) };
      },
      /* CONFIG SET */
      async setConfig(req, ctx) {
        checkSignal(ctx);
        setConfig(store, req);
        return { config: configOf(store) };
      },
      /* SLOWLOG GET [count] + SLOWLOG LEN */
      async slowLog(req, ctx) {
        checkSignal(ctx);
        const log = store.commandLog;
        const entries = log.get(req.all ? -1 : req.count === 0 ? 10 : req.count);
        return {
          entries: entries.map((e) => ({
            id: BigInt(e.id),
            atSeconds: BigInt(e.atSeconds),
            durationUs: BigInt(e.durationUs),
            args: e.args.map(bytesToArray),
            client: e.client,
          })),
          length: BigInt(log.length),
          slowerThanUs: BigInt(log.slowerThan),
          maxLen: BigInt(log.maxLength),
        };
      },
      /* SLOWLOG RESET */
      async resetSlowLog(_req, ctx) {
        checkSignal(ctx);
        store.commandLog.reset();
        return {};
      },
      // InfoStream and Monitor are added below: guarded() wraps unary handlers only.
    } as ServiceImpl<typeof ServerService>,
    options,
  );
  const monitorProcedure = `/${ServerService.typeName}/${ServerService.method.monitor.name}`;
  return {
    ...unary,
    infoStream(req, ctx) {
      return streams.guard(infoStream(req.intervalMs, ctx.signal), resolved.logger, procedure);
    },
    monitor(req, ctx) {
      return streams.guard(
        monitorStream(store, req.heartbeatMs, ctx.signal, resolved, streams),
        resolved.logger,
        monitorProcedure,
      );
    },
  };
}
