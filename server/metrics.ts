import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from "prom-client";
import type { StreamCounter } from "../shared/api/streaming-options.js";
import type { Store } from "../shared/index.js";
import type { HostStats } from "./host-stats.js";
import type { RequestBytesBudget } from "./request-bytes.js";

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

/** One exported sample, as prom-client's own metrics give them from `get()`. */
interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
  /** Buckets carry `exemplar: null` as prom-client's (exemplars are off). */
  readonly exemplar?: null;
}

/** The fields prom-client's registry reads of a registered metric (its `Metric` classes have them). */
interface Collected {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly aggregator: "sum";
  readonly values: Sample[];
}

/** As prom-client rejects a value that is not a finite number (its own `TypeError`, same words). */
function checkValue(value: number): void {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
}

/**
 * The RPC counter and latency histogram, kept in plain maps and handed to prom-client's registry
 * as a metric of its own (`registerMetric`; the registry reads `get()`, `reset()`, `name`,
 * `help`, `type`, `aggregator`, as it does of its `Counter` and `Histogram`). prom-client's
 * `inc`/`observe` validate and hash the labels on every call (~1.5 µs per RPC, more than the rest
 * of the metrics interceptor); here a call is two map reads. The exported text is what
 * prom-client's public `inc`/`observe` would give for the same calls (metrics.test.ts compares
 * them, so an upgrade that changes the registry's contract fails there).
 */
class RpcCollector {
  readonly type: "counter" | "histogram";
  readonly aggregator = "sum" as const;
  readonly name: string;
  readonly help: string;
  /** Every counter series in first-seen order (the exposition's order). */
  readonly #counts = new Map<string, { labels: Record<string, string>; value: number }>();
  readonly #countsByProcedure = new Map<string, Map<string, { labels: Record<string, string>; value: number }>>();
  readonly #latency = new Map<string, { procedure: string; sum: number; count: number; buckets: number[] }>();

  constructor(name: string, help: string, type: "counter" | "histogram") {
    this.name = name;
    this.help = help;
    this.type = type;
  }

  /** Counts one RPC with these labels (counter). */
  count(procedure: string, code: string): void {
    // Found through a map per procedure: no label string is built per call.
    let byCode = this.#countsByProcedure.get(procedure);
    if (byCode === undefined) this.#countsByProcedure.set(procedure, (byCode = new Map()));
    const c = byCode.get(code);
    if (c !== undefined) {
      c.value += 1;
      return;
    }
    const entry = { labels: { procedure, code }, value: 1 };
    byCode.set(code, entry);
    this.#counts.set(`${procedure}\u0000${code}`, entry);
  }

  /** Observes one latency (histogram): the first bucket whose bound is ≥ the value, the sum and count. */
  observe(procedure: string, seconds: number): void {
    checkValue(seconds);
    let h = this.#latency.get(procedure);
    if (h === undefined) {
      h = { procedure, sum: 0, count: 0, buckets: latencyBounds.map(() => 0) };
      this.#latency.set(procedure, h);
    }
    h.sum += seconds;
    h.count += 1;
    for (let i = 0; i < latencyBounds.length; i++) {
      if (seconds <= (latencyBounds[i] as number)) {
        (h.buckets[i] as number)++;
        break;
      }
    }
  }

  reset(): void {
    this.#counts.clear();
    this.#countsByProcedure.clear();
    this.#latency.clear();
  }

  async get(): Promise<Collected> {
    const values: Sample[] = [];
    if (this.type === "counter")
      for (const c of this.#counts.values()) values.push({ labels: { ...c.labels }, value: c.value });
    else {
      const bucket = `${this.name}_bucket`;
      for (const h of this.#latency.values()) {
        let acc = 0;
        for (let i = 0; i < latencyBounds.length; i++) {
          acc += h.buckets[i] as number;
          values.push({
            labels: { le: latencyBounds[i] as number, procedure: h.procedure },
            value: acc,
            metricName: bucket,
            exemplar: null,
          });
        }
        values.push({
          labels: { le: "+Inf", procedure: h.procedure },
          value: h.count,
          metricName: bucket,
          exemplar: null,
        });
        values.push({ labels: { procedure: h.procedure }, value: h.sum, metricName: `${this.name}_sum` });
        values.push({ labels: { procedure: h.procedure }, value: h.count, metricName: `${this.name}_count` });
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * Creates the metrics (a registry of its own: several servers may live in one process, as in
 * tests). `host` adds the persistence and eviction families when those features are on.
 */
export function createServerMetrics(
  store: Store,
  host: HostStats = {},
  streams?: StreamCounter,
  requestBytes?: RequestBytesBudget,
): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "memorabilia_process_" });
  const requests = new RpcCollector(
    "memorabilia_rpc_requests_total",
    "RPCs handled, by procedure and status code.",
    "counter",
  );
  const latency = new RpcCollector(
    "memorabilia_rpc_duration_seconds",
    "RPC handling time (unary: until the reply; streams: until the stream is set up).",
    "histogram",
  );
  // Registered as prom-client registers its own metrics (see RpcCollector).
  registry.registerMetric(requests as unknown as Metric);
  registry.registerMetric(latency as unknown as Metric);
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
  if (requestBytes !== undefined) {
    gauge(
      "memorabilia_request_bytes_in_flight",
      "Request bytes held now, all clients (RPC bodies being received, RESP input not yet run; bounded by --max-request-bytes-total).",
      () => requestBytes.inFlight,
    );
    gauge(
      "memorabilia_requests_cut_total",
      "Requests (and RESP clients) cut with RESOURCE_EXHAUSTED because they held the most when --max-request-bytes-total was passed.",
      () => requestBytes.cuts,
    );
    gauge(
      "memorabilia_request_body_bytes_before_answer_total",
      "Request body bytes received before the request's answer started (a refused upload counts what was read up to its refusal, not what is discarded after).",
      () => requestBytes.receivedBeforeAnswer,
    );
  }
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
    gauge(
      "memorabilia_stream_buffered_bytes",
      "Bytes waiting for slow clients in all Watch and Subscribe streams (bounded by --stream-buffer-total-bytes).",
      () => streams.budget.bytes,
    );
    new Gauge({
      name: "memorabilia_streams_closed_slow_total",
      help: "Watch and Subscribe streams closed with RESOURCE_EXHAUSTED because their client fell behind, by the limit that closed them (hard, soft: output buffer bytes; items: queued messages; total: the server-wide --stream-buffer-total-bytes).",
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
  return {
    registry,
    observeRpc(procedure, code, seconds) {
      checkValue(seconds);
      requests.count(procedure, code);
      latency.observe(procedure, seconds);
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
