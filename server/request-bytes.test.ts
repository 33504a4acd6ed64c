import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { BodyHold, RequestBytesBudget, trackRequestBody } from "./request-bytes.js";

/** A body whose bytes arrive by `push`, as Node's HTTP parsers hand them. */
const body = (): Readable => new Readable({ read() {} });

describe("trackRequestBody", () => {
  it("gives every tracked body the same push and close listener (no closure per request)", () => {
    // A closure stored as each stream's own `push` cost ~10 µs of server CPU per HTTP/2 call.
    const budget = new RequestBytesBudget(0);
    const [a, b] = [body(), body()] as [Readable, Readable];
    for (const x of [a, b])
      trackRequestBody(x, { budget, shape: "one-message", answerStarted: () => false, refuse: () => {} });
    expect(a.push).toBe(b.push);
    expect(a.push).not.toBe(Readable.prototype.push);
    expect(a.listeners("close")).toEqual(b.listeners("close"));
  });

  it("counts each body's bytes as they arrive, releases them on close, and drops a cut body's bytes", async () => {
    const budget = new RequestBytesBudget(100);
    const refused: string[] = [];
    const small = body();
    const big = body();
    for (const x of [small, big])
      trackRequestBody(x, {
        budget,
        shape: "one-message",
        answerStarted: () => false,
        refuse: (m) => refused.push(m),
      });
    small.push(Buffer.alloc(30));
    expect(budget.inFlight).toBe(30);
    big.push(Buffer.alloc(60));
    expect(budget.inFlight).toBe(90);
    // Past the cap: the request holding the most is cut, its bytes never reach a reader.
    big.push(Buffer.alloc(20));
    expect(refused).toHaveLength(1);
    expect(budget.inFlight).toBe(30);
    expect(big.readableLength).toBe(60);
    big.push(Buffer.alloc(5));
    expect(big.readableLength).toBe(60);
    small.destroy();
    await new Promise((r) => small.once("close", r));
    expect(budget.inFlight).toBe(0);
  });

  it("scans enveloped streams: only the message being received counts", () => {
    const budget = new RequestBytesBudget(0);
    const s = new PassThrough();
    trackRequestBody(s, { budget, shape: "enveloped-stream", answerStarted: () => false, refuse: () => {} });
    const envelope = (n: number) => Buffer.concat([Buffer.from([0, 0, 0, 0, n]), Buffer.alloc(n)]);
    s.push(envelope(10).subarray(0, 8));
    expect(budget.inFlight).toBe(8);
    s.push(Buffer.concat([envelope(10).subarray(8), envelope(4).subarray(0, 6)]));
    expect(budget.inFlight).toBe(6);
  });
});

describe("RequestBytesBudget", () => {
  /** A holder recording its cuts. */
  const holder = (name: string, cuts: string[]) => ({ cut: () => cuts.push(name) });

  it("holders come and go in any order: the sum, the largest cut and re-entry stay right", () => {
    const cuts: string[] = [];
    const budget = new RequestBytesBudget(1000);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => holder(n, cuts)) as [
      ReturnType<typeof holder>,
      ReturnType<typeof holder>,
      ReturnType<typeof holder>,
      ReturnType<typeof holder>,
    ];
    expect(budget.update(a, 100)).toBe(true);
    expect(budget.update(b, 600)).toBe(true);
    expect(budget.update(c, 200)).toBe(true);
    budget.release(a); // the first one leaves: the last takes its place
    expect(budget.inFlight).toBe(800);
    budget.release(a); // twice: nothing
    expect(budget.inFlight).toBe(800);
    expect(budget.update(c, 250)).toBe(true);
    expect(budget.inFlight).toBe(850);
    // A small newcomer past the cap: the largest holder (b) is cut to make room.
    expect(budget.update(d, 200)).toBe(true);
    expect(cuts).toEqual(["b"]);
    expect(budget.inFlight).toBe(450);
    budget.release(c);
    budget.release(d);
    expect(budget.inFlight).toBe(0);
    // A released holder may hold again.
    expect(budget.update(a, 10)).toBe(true);
    expect(budget.inFlight).toBe(10);
    budget.release(a);
    expect(budget.inFlight).toBe(0);
    expect(budget.cuts).toBe(1);
  });
});

describe("BodyHold", () => {
  it("holds nothing once released: bytes a reader still gets after the answer started are not counted again", () => {
    const budget = new RequestBytesBudget(0);
    const hold = new BodyHold(budget);
    expect(hold.add(100)).toBe(true);
    expect(budget.inFlight).toBe(100);
    hold.release();
    expect(budget.inFlight).toBe(0);
    // An answer given before the body's end (a deadline): the read goes on, the budget must not.
    expect(hold.add(50)).toBe(true);
    expect(budget.inFlight).toBe(0);
    expect(budget.receivedBeforeAnswer).toBe(100);
  });
});

describe("receivedBeforeAnswer", () => {
  it("counts body bytes until the answer starts, on tracked bodies of both shapes", () => {
    const budget = new RequestBytesBudget(0);
    let started = false;
    const one = body();
    const stream = new PassThrough();
    trackRequestBody(one, { budget, shape: "one-message", answerStarted: () => started, refuse: () => {} });
    trackRequestBody(stream, { budget, shape: "enveloped-stream", answerStarted: () => started, refuse: () => {} });
    one.push(Buffer.alloc(30));
    stream.push(Buffer.alloc(20));
    expect(budget.receivedBeforeAnswer).toBe(50);
    started = true;
    one.push(Buffer.alloc(1000));
    stream.push(Buffer.alloc(1000));
    expect(budget.receivedBeforeAnswer).toBe(50);
  });
});
