import { describe, expect, it } from "vitest";
import { boundOf, compareStreamIds, parseStreamId, streamIdTime } from "./stream-id.js";

describe("stream IDs", () => {
  it("compares as numbers, full 64-bit parts", () => {
    expect(compareStreamIds("9-0", "10-0")).toBe(-1);
    expect(compareStreamIds("10-2", "10-10")).toBe(-1);
    expect(
      compareStreamIds("18446744073709551615-18446744073709551615", "18446744073709551615-18446744073709551614"),
    ).toBe(1);
    expect(compareStreamIds("5-5", "5-5")).toBe(0);
    expect(parseStreamId("18446744073709551616-0")).toBeNull();
    expect(parseStreamId("1-")).toBeNull();
  });
  it("labels plausible times only", () => {
    expect(streamIdTime("1764885345123-0")).toBe("2025-12-04 21:55:45.123");
    expect(streamIdTime("1-1")).toBe("");
  });
  it("reads a start as an ID, a ms time or a UTC date", () => {
    expect(boundOf(" 1-2 ")).toBe("1-2");
    expect(boundOf("1700000000000")).toBe("1700000000000");
    expect(boundOf("2026-12-04 21:00")).toBe(String(Date.UTC(2026, 11, 4, 21, 0)));
    expect(() => boundOf("yesterday")).toThrow(/not a stream ID/);
  });
});
