import { describe, expect, it } from "vitest";
import { type OverflowReason, StreamBudget, StreamQueue } from "./stream-queue.js";

const limits = { maxItems: 1000, hardBytes: 1000, softBytes: 1000, softMs: 60_000 };

function queue(budget: StreamBudget, overflows: OverflowReason[]) {
  return new StreamQueue<number>({
    limits,
    fellBehind: "watch fell behind",
    sizeOf: (n) => n,
    now: () => 0,
    budget,
    onOverflow: (r) => overflows.push(r),
  });
}

describe("StreamBudget (all streams' bytes together)", () => {
  it("past the total, the stream holding the most is closed, not the one that received the last item", async () => {
    const budget = new StreamBudget();
    budget.limit = 100;
    const overflows: OverflowReason[] = [];
    const slow = queue(budget, overflows);
    const healthy = queue(budget, overflows);
    for (let i = 0; i < 9; i++) slow.push(10);
    healthy.push(5);
    expect(budget.bytes).toBe(95);
    healthy.push(10); // 105 > 100: the slow stream (90 bytes) is closed, the healthy one keeps its 15
    expect(overflows).toEqual(["total"]);
    expect(budget.bytes).toBe(15);
    expect(() => slow.check()).toThrow(/output buffer total limit/);
    expect(() => slow.check()).toThrow(/held more than 100 bytes .* this one held the most \(90 bytes/);
    healthy.check();
    const signal = new AbortController().signal;
    const take = await healthy.next(1000, signal, 10);
    expect("items" in take && take.items).toEqual([5, 10]);
    expect(budget.bytes).toBe(0);
  });

  it("taking and closing release bytes; a closed queue adds nothing more", async () => {
    const budget = new StreamBudget();
    budget.limit = 50;
    const overflows: OverflowReason[] = [];
    const a = queue(budget, overflows);
    const b = queue(budget, overflows);
    a.push(20);
    a.push(20);
    b.push(10);
    await a.next(1000, new AbortController().signal, 1);
    expect(budget.bytes).toBe(30);
    a.close();
    expect(budget.bytes).toBe(10);
    a.push(45);
    expect(budget.bytes).toBe(10);
    b.push(40); // 50: at the limit, fine
    expect(overflows).toEqual([]);
    b.push(1);
    expect(overflows).toEqual(["total"]);
    expect(budget.bytes).toBe(0);
  });
});
