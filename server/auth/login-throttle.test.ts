import { describe, expect, it } from "vitest";
import { FailedLoginLog, LoginThrottle } from "./login-throttle.js";

describe("LoginThrottle", () => {
  it("lets an address spend its burst, then one try per refill, and never touches other addresses", () => {
    let now = 0;
    const t = new LoginThrottle({ burst: 3, refillPerSecond: 1, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(t.blocked("a")).toBe(false);
      t.fail("a");
    }
    expect(t.blocked("a")).toBe(true);
    expect(t.retryAfterSeconds("a")).toBe(1);
    expect(t.blocked("b")).toBe(false);
    now = 999;
    expect(t.blocked("a")).toBe(true);
    now = 1_000;
    expect(t.blocked("a")).toBe(false);
    t.fail("a");
    expect(t.blocked("a")).toBe(true);
    // Refilled to the full burst: forgotten (no memory per address that stopped failing).
    now = 10_000;
    expect(t.blocked("a")).toBe(false);
    expect(t.size).toBe(0);
  });

  it("bounds the addresses it tracks", () => {
    const t = new LoginThrottle({ burst: 2, maxAddresses: 100, now: () => 0 });
    for (let i = 0; i < 1_000; i++) t.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(t.size).toBeLessThanOrEqual(100);
  });

  it("burst 0 turns it off", () => {
    const t = new LoginThrottle({ burst: 0 });
    for (let i = 0; i < 100; i++) t.fail("a");
    expect(t.blocked("a")).toBe(false);
  });
});

describe("FailedLoginLog", () => {
  it("writes the first failure at once and sums the rest up once per interval", () => {
    let now = 0;
    const lines: [Record<string, unknown>, string][] = [];
    const log = new FailedLoginLog({ warn: (d, m) => lines.push([d, m]) }, 10_000, () => now);
    log.note("invalid", "10.0.0.1", "memorabilia.v1.StringsService/Get");
    for (let i = 0; i < 500; i++) log.note(i % 2 ? "throttled" : "missing", `10.0.0.${i % 7}`, "x/Y");
    expect(lines).toHaveLength(1);
    now = 10_000;
    log.note("invalid", "10.0.0.9", "x/Y");
    expect(lines).toHaveLength(2);
    expect(lines[1]?.[0]).toMatchObject({ failures: { missing: 250, invalid: 1, throttled: 250 }, addresses: 8 });
    expect(lines[1]?.[1]).toMatch(/^auth: 501 failed authentication\(s\) since the last report/);
  });
});
