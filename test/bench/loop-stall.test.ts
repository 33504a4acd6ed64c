import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { LoopStallMeter, mainThreadCpuMs } from "./loop-stall.js";

describe("loop-stall meter: the main thread's CPU between two ticks", () => {
  it("never exceeds the gap's wall time less the main thread's wait for a CPU", () => {
    // Session 8's quiet round: 6.89 ms of process-minus-helpers CPU in a gap whose wall time was 4.01 ms,
    // because a GC helper running on the other core had not had its schedstat run time updated yet.
    expect(mainThreadCpuMs(6.89, 0, 4.01, 0)).toBeCloseTo(4.01, 6);
    expect(mainThreadCpuMs(6.89, 0, 4.01, 1.5)).toBeCloseTo(2.51, 6);
  });

  it("subtracts the other threads' CPU, and clamps a helper's late update to zero", () => {
    expect(mainThreadCpuMs(5, 3, 10, 0)).toBe(2);
    expect(mainThreadCpuMs(1, 4, 10, 0)).toBe(0);
    expect(mainThreadCpuMs(2, -1, 10, 0)).toBe(2);
  });

  it("uses the wall bound alone where the wait is unknown (no schedstat)", () => {
    expect(mainThreadCpuMs(3, 0, 2, Number.NaN)).toBe(2);
  });

  it("reports no more main-thread CPU than wall time while another thread of the process spins", async () => {
    const spin = new Worker("const end = Date.now() + 1500; let x = 0; while (Date.now() < end) x++;", { eval: true });
    try {
      await new Promise((r) => setTimeout(r, 50));
      const meter = new LoopStallMeter();
      meter.start();
      await new Promise((r) => setTimeout(r, 300));
      const seen = meter.stop();
      meter.close();
      expect(seen.ticks).toBeGreaterThan(0);
      expect(seen.cpuMaxMs).toBeLessThanOrEqual(seen.wallAtCpuMaxMs + 1e-6);
    } finally {
      await spin.terminate();
    }
  });
});
