import { describe, expect, it } from "vitest";
import { OpsMeter } from "./ops-meter.js";

describe("OpsMeter", () => {
  it("is 0 before any time passed, then the rate since the start", () => {
    const m = new OpsMeter(1_000, 0);
    expect(m.rate(1_000, 50)).toBe(0);
    expect(m.rate(2_000, 100)).toBe(100);
    expect(m.rate(3_000, 400)).toBe(200); // (400 - 0) / 2 s: still within the first window
  });

  it("slides: old samples leave the window, so a burst fades", () => {
    const m = new OpsMeter(0, 0, 5_000, 100);
    for (let t = 1_000; t <= 5_000; t += 1_000) m.rate(t, t); // 1000 ops/s
    expect(m.rate(6_000, 6_000)).toBe(1_000);
    // Idle for 10 s: the window now holds only idle samples.
    for (let t = 7_000; t <= 16_000; t += 1_000) m.rate(t, 6_000);
    expect(m.rate(17_000, 6_000)).toBe(0);
    // 500 ops in the last second, the window reaching back 5 s to an idle sample.
    expect(m.rate(18_000, 6_500)).toBe(100);
  });

  it("keeps at most one sample per interval (reads in a burst do not shrink the window)", () => {
    const m = new OpsMeter(0, 0, 1_000, 100);
    for (let t = 0; t <= 2_000; t += 1) m.rate(t, t * 2);
    expect(m.rate(2_000, 4_000)).toBeCloseTo(2_000, 6);
  });
});
