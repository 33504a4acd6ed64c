/**
 * observeRpc keeps its own tallies, handed to prom-client's registry as a metric of its own
 * (never writing into prom-client's series); the exported text and JSON must be exactly what
 * prom-client's public observe/inc would have produced, for any sequence of observations, across
 * a reset, and for an invalid value. A prom-client upgrade that changes how its registry reads a
 * metric fails here.
 */
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createTestStore } from "../shared/store/testing.js";
import { createServerMetrics } from "./metrics.js";

const REQUESTS = "memorabilia_rpc_requests_total";
const LATENCY = "memorabilia_rpc_duration_seconds";

/** The same two metrics, fed only through prom-client's public API. */
function reference() {
  const registry = new Registry();
  const requests = new Counter({
    name: REQUESTS,
    help: "RPCs handled, by procedure and status code.",
    labelNames: ["procedure", "code"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: LATENCY,
    help: "RPC handling time (unary: until the reply; streams: until the stream is set up).",
    labelNames: ["procedure"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return {
    registry,
    observeRpc(procedure: string, code: string, seconds: number) {
      requests.inc({ procedure, code });
      latency.observe({ procedure }, seconds);
    },
  };
}

/** A fixed pseudo-random sequence of observations (every bucket, bounds exactly, above the last). */
function observations(n: number): [string, string, number][] {
  const procedures = ["a.B/Get", "a.B/Set", "c.D/Check"];
  const codes = ["ok", "ok", "ok", "InvalidArgument", "Canceled"];
  const values = [0, 0.00005, 0.0001, 0.0003, 0.001, 0.0049, 0.02, 0.3, 1, 1.5, 7, 1e-9];
  let x = 12345;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  return Array.from({ length: n }, () => [
    procedures[next() % procedures.length] as string,
    codes[next() % codes.length] as string,
    (values[next() % values.length] as number) * (1 + (next() % 1000) / 7919),
  ]);
}

async function text(registry: Registry): Promise<string> {
  return `${await registry.getSingleMetricAsString(REQUESTS)}\n${await registry.getSingleMetricAsString(LATENCY)}`;
}

describe("observeRpc", () => {
  it.each([1, 2, 50, 2000])("%i observations: same exported text as prom-client's own API", async (n) => {
    const ours = createServerMetrics(createTestStore().store);
    const theirs = reference();
    for (const [p, c, s] of observations(n)) {
      ours.observeRpc(p, c, s);
      theirs.observeRpc(p, c, s);
    }
    expect(await text(ours.registry)).toBe(await text(theirs.registry));
    expect(await text(ours.registry)).toMatch(/memorabilia_rpc_duration_seconds_count\{procedure="[^"]+"\} [1-9]/);
    const json = async (r: Registry) =>
      (await r.getMetricsAsJSON()).filter((m) => m.name === REQUESTS || m.name === LATENCY);
    expect(await json(ours.registry)).toEqual(await json(theirs.registry));
  });

  it("keeps counting after the metrics are reset", async () => {
    const ours = createServerMetrics(createTestStore().store);
    const theirs = reference();
    for (const [p, c, s] of observations(300)) {
      ours.observeRpc(p, c, s);
      theirs.observeRpc(p, c, s);
    }
    ours.registry.resetMetrics();
    theirs.registry.resetMetrics();
    for (const [p, c, s] of observations(77)) {
      ours.observeRpc(p, c, s);
      theirs.observeRpc(p, c, s);
    }
    expect(await text(ours.registry)).toBe(await text(theirs.registry));
    expect(await text(ours.registry)).toMatch(/_count\{procedure="a\.B\/Get"\} [1-9]/);
  });

  it("throws prom-client's TypeError for a value that is not a number", () => {
    const ours = createServerMetrics(createTestStore().store);
    ours.observeRpc("a.B/Get", "ok", 0.001);
    expect(() => ours.observeRpc("a.B/Get", "ok", Number.NaN)).toThrow(/Value is not a valid number/);
  });
});
