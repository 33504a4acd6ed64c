import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../shared/index.js";
import type { HostStats } from "./host-stats.js";

/** Prometheus metrics of one server: RPCs by method and code, latency, keyspace and expiry. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Records one finished RPC. */
  observeRpc(procedure: string, code: string, seconds: number): void;
  /** Counts a new connection by protocol. */
  countConnection(protocol: string): void;
}

/**
 * Creates the metrics (a registry of its own: several servers may live in one process, as in
 * tests). `host` adds the persistence and eviction families when those features are on.
 */
export function createServerMetrics(store: Store, host: HostStats = {}): ServerMetrics {
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
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const connections = new Counter({
    name: "memorabilia_connections_total",
    help: "Connections accepted, by protocol.",
    labelNames: ["protocol"] as const,
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
  // Labelled children cached per procedure and code: `inc({ procedure, code })` validates and
  // hashes the labels on every call (a few µs per RPC). The metrics are never reset, so a cached
  // child stays the one the registry reports.
  const children = new Map<string, { time: { observe(v: number): void }; codes: Map<string, { inc(): void }> }>();
  return {
    registry,
    observeRpc(procedure, code, seconds) {
      let p = children.get(procedure);
      if (p === undefined) {
        p = { time: latency.labels({ procedure }), codes: new Map() };
        children.set(procedure, p);
      }
      let count = p.codes.get(code);
      if (count === undefined) {
        count = requests.labels({ procedure, code });
        p.codes.set(code, count);
      }
      count.inc();
      p.time.observe(seconds);
    },
    countConnection(protocol) {
      connections.inc({ protocol });
    },
  };
}
