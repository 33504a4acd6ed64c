import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../shared/index.js";

/** Prometheus metrics of one server: RPCs by method and code, latency, keyspace and expiry. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Records one finished RPC. */
  observeRpc(procedure: string, code: string, seconds: number): void;
  /** Counts a new connection by protocol. */
  countConnection(protocol: string): void;
}

/** Creates the metrics (a registry of its own: several servers may live in one process, as in tests). */
export function createServerMetrics(store: Store): ServerMetrics {
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
