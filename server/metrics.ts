import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StreamCounter } from "../shared/api/streaming-options.js";
import type { Store } from "../shared/index.js";
import type { HostStats } from "./host-stats.js";

/** Prometheus metrics of one server: RPCs by method and code, latency, keyspace and expiry. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Records one finished RPC. */
  observeRpc(procedure: string, code: string, seconds: number): void;
  /** Counts a new connection by protocol. */
  countConnection(protocol: string): void;
  /** Counts a client's mistake or a limit it hit (connection refused, timeout, oversized request…), by kind. */
  countClientError(kind: string): void;
  /** Counts a failed authentication (`missing` or `invalid` token, or `throttled` address). */
  countAuthFailure(reason: "missing" | "invalid" | "throttled"): void;
}

const latencyBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** prom-client's stored series (15.x): a counter's `{labels, value}`, a histogram's `{labels, sum, count, bucketValues}`. */
interface SeriesEntry {
  labels: Record<string, string>;
  value: number;
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}

/** The series of one metric that prom-client keeps in `hashMap`, keyed by the hash of their labels. */
type HashMapOwner = { hashMap?: Record<string, SeriesEntry> };

interface ProcedureSeries {
  readonly latency: SeriesSlot;
  readonly codes: Map<string, SeriesSlot>;
}

/**
 * Where one labelled series lives in a prom-client metric: found once after the public API made
 * it, checked on every use (still the metric's entry under that key), so a reset or remove sends
 * the next update through the public API again.
 */
export class SeriesSlot {
  #key = "";
  #entry: SeriesEntry | undefined = undefined;

  /** The entry, if it is still the metric's own. */
  entry(metric: object): SeriesEntry | undefined {
    const e = this.#entry;
    return e !== undefined && (metric as HashMapOwner).hashMap?.[this.#key] === e ? e : undefined;
  }

  /** Finds the entry holding exactly `labels` (none: updates keep going through the public API). */
  find(metric: object, labels: Record<string, string>): void {
    this.#entry = undefined;
    const map = (metric as HashMapOwner).hashMap;
    if (map === undefined) return;
    const names = Object.keys(labels);
    for (const key in map) {
      const e = map[key] as SeriesEntry;
      const l = e.labels;
      if (l !== undefined && Object.keys(l).length === names.length && names.every((n) => l[n] === labels[n])) {
        this.#key = key;
        this.#entry = e;
        return;
      }
    }
  }
}

/** As prom-client's histogram observe: sum, count, and the first bucket whose bound is ≥ the value. */
function observeInto(entry: SeriesEntry, bounds: readonly number[], value: number): void {
  entry.sum += value;
  entry.count += 1;
  for (const b of bounds) {
    if (value <= b) {
      if (Object.hasOwn(entry.bucketValues, b)) entry.bucketValues[b] = (entry.bucketValues[b] as number) + 1;
      return;
    }
  }
}

/**
 * Creates the metrics (a registry of its own: several servers may live in one process, as in
 * tests). `host` adds the persistence and eviction families when those features are on.
 */
export function createServerMetrics(store: Store, host: HostStats = {}, streams?: StreamCounter): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "memorabilia_process_" });
  const requests = new Counter({
    name: "memorabilia_rpc_requests_total",
    help: "RPCs handled, by procedure and status code.",
    labelNames: ["procedure", "code"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "memorabilia_rpc_duration_seconds",
    help: "RPC handling time (unary: until the reply; streams: until the stream is set up).",
    labelNames: ["procedure"] as const,
    buckets: latencyBounds,
    registers: [registry],
  });
  const connections = new Counter({
    name: "memorabilia_connections_total",
    help: "Connections accepted, by protocol.",
    labelNames: ["protocol"] as const,
    registers: [registry],
  });
  const clientErrors = new Counter({
    name: "memorabilia_client_errors_total",
    help: "Requests and connections refused or closed for the client's fault (a limit, a timeout, malformed input), by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: "memorabilia_auth_failures_total",
    help: "Failed authentications, by reason: missing (no token), invalid (no token matches), throttled (refused unchecked: the address sent too many wrong tokens lately).",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("memorabilia_keys", "Keys in the store (including keys due but not yet reclaimed).", () => store.stats().keys);
  gauge("memorabilia_keys_with_ttl", "Keys with a TTL.", () => store.stats().keysWithTtl);
  gauge(
    "memorabilia_expired_keys_total",
    "Keys removed because they expired (lazily or by the sweep).",
    () => store.stats().expiredKeys,
  );
  gauge("memorabilia_sweep_runs_total", "Active expiry cycles run.", () => store.stats().sweep.runs);
  gauge(
    "memorabilia_sweep_seconds_total",
    "Time spent in the active expiry sweep.",
    () => store.stats().sweep.timeSpentMs / 1000,
  );
  gauge("memorabilia_commands_total", "Store commands executed.", () => store.stats().commands);
  gauge("memorabilia_keyspace_hits_total", "Lookups that found a live key.", () => store.stats().hits);
  gauge("memorabilia_keyspace_misses_total", "Lookups that found nothing.", () => store.stats().misses);
  if (streams !== undefined) {
    gauge(
      "memorabilia_streams_open",
      "Server streams open (Watch, Subscribe, InfoStream, Pipeline).",
      () => streams.open,
    );
    gauge(
      "memorabilia_streams_refused_total",
      "Streams refused with RESOURCE_EXHAUSTED because --max-streams were open.",
      () => streams.refused,
    );
    new Gauge({
      name: "memorabilia_streams_closed_slow_total",
      help: "Watch and Subscribe streams closed with RESOURCE_EXHAUSTED because their client fell behind, by the limit that closed them (hard, soft: output buffer bytes; items: queued messages).",
      labelNames: ["limit"] as const,
      registers: [registry],
      collect() {
        for (const [limit, n] of Object.entries(streams.overflowed)) this.set({ limit }, n);
      },
    });
  }
  const persistence = host.persistence;
  if (persistence !== undefined) {
    // Times unset before the first fsync or snapshot read as 0 (Prometheus has no "unset").
    const seconds = (ms: number | undefined): number => (ms ?? 0) / 1000;
    gauge("memorabilia_persistence_log_bytes", "Bytes in the current log segment.", () => persistence().logBytes);
    gauge("memorabilia_persistence_fsyncs_total", "Log fsyncs since start.", () => persistence().fsyncs);
    gauge(
      "memorabilia_persistence_last_fsync_timestamp_seconds",
      "When the log was last fsynced (Unix seconds; 0 before the first).",
      () => seconds(persistence().lastFsyncAtMs),
    );
    gauge("memorabilia_persistence_snapshots_total", "Snapshots written since start.", () => persistence().snapshots);
    gauge(
      "memorabilia_persistence_last_snapshot_timestamp_seconds",
      "When the last snapshot finished (Unix seconds; 0 before the first).",
      () => seconds(persistence().lastSnapshotAtMs),
    );
    gauge(
      "memorabilia_persistence_last_snapshot_duration_seconds",
      "How long the last snapshot took (0 before the first).",
      () => seconds(persistence().lastSnapshotMs),
    );
    gauge(
      "memorabilia_persistence_records_written_total",
      "Key records (a key's state or its deletion) appended to the log.",
      () => persistence().recordsWritten,
    );
    gauge(
      "memorabilia_persistence_written_bytes_total",
      "Bytes appended to the log.",
      () => persistence().bytesWritten,
    );
    gauge(
      "memorabilia_persistence_loaded_keys",
      "Keys present after loading at start.",
      () => persistence().loadedKeys,
    );
    gauge("memorabilia_persistence_load_duration_seconds", "How long loading the saved state took at start.", () =>
      seconds(persistence().loadMs),
    );
    gauge(
      "memorabilia_persistence_corrupt_tail_dropped_bytes",
      "Bytes of torn or corrupt file tails dropped while loading at start.",
      () => persistence().corruptTailBytesDropped,
    );
    gauge(
      "memorabilia_persistence_write_failing",
      "1 while log writes are failing (write commands refused), else 0.",
      () => (persistence().lastError === undefined ? 0 : 1),
    );
  }
  const eviction = host.eviction;
  if (eviction !== undefined) {
    gauge("memorabilia_maxmemory_bytes", "The memory limit (--maxmemory).", () => eviction().maxBytes);
    gauge(
      "memorabilia_used_memory_bytes",
      "Memory in use by the store's own accounting (the figure compared with maxmemory, not the heap).",
      () => eviction().usedBytes,
    );
    gauge("memorabilia_evicted_keys_total", "Keys evicted to stay under maxmemory.", () => eviction().evictedKeys);
    gauge(
      "memorabilia_oom_rejections_total",
      "Commands refused with OOM (above maxmemory with nothing left to evict).",
      () => eviction().oomRejections,
    );
    new Gauge({
      name: "memorabilia_maxmemory_policy_info",
      help: "The eviction policy in force (always 1, the policy is the label).",
      labelNames: ["policy"] as const,
      registers: [registry],
      collect() {
        this.reset();
        this.set({ policy: eviction().policy }, 1);
      },
    });
  }
  // Per procedure and code, the metric's own entry, updated as prom-client's observe/inc update
  // it. The public calls validate and hash the labels on every call (~1.5 µs per RPC, more than
  // the rest of the metrics interceptor); the first observation of each procedure or code still
  // goes through them (creating the entry), and an entry that is no longer the metric's (after a
  // reset or remove) is looked up again. Equality with the public API is tested.
  const children = new Map<string, ProcedureSeries>();
  return {
    registry,
    observeRpc(procedure, code, seconds) {
      let p = children.get(procedure);
      if (p === undefined) {
        p = { latency: new SeriesSlot(), codes: new Map() };
        children.set(procedure, p);
      }
      let count = p.codes.get(code);
      if (count === undefined) {
        count = new SeriesSlot();
        p.codes.set(code, count);
      }
      const c = count.entry(requests);
      if (c === undefined) {
        requests.inc({ procedure, code });
        count.find(requests, { procedure, code });
      } else c.value += 1;
      const h = p.latency.entry(latency);
      // Not finite: prom-client's own observe throws the TypeError.
      if (h === undefined || !Number.isFinite(seconds)) {
        latency.observe({ procedure }, seconds);
        p.latency.find(latency, { procedure });
      } else observeInto(h, latencyBounds, seconds);
    },
    countConnection(protocol) {
      connections.inc({ protocol });
    },
    countClientError(kind) {
      clientErrors.inc({ kind });
    },
    countAuthFailure(reason) {
      authFailures.inc({ reason });
    },
  };
}
