/**
 * invoke/invokeBatch/checkSignal take the signal itself or the handler context holding it; a
 * context with `kPeekAborted` is asked "aborted yet?" and its signal is read only when needed
 * (an aborted call, or an engine answering with a Promise).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CommandLog } from "../store/command-log.js";
import { type Reply, Status } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { createTestStore } from "../store/testing.js";
import { type CallSignal, checkSignal, invoke, invokeAll, invokeBatch, kPeekAborted, mapReply } from "./invoke.js";

/** A context whose signal is made on first read (as the server's fast lane does), counting reads. */
class LazyContext {
  reads = 0;
  readonly #controller = new AbortController();
  #aborted = false;
  get signal(): AbortSignal {
    this.reads++;
    return this.#controller.signal;
  }
  [kPeekAborted](): boolean {
    return this.#aborted;
  }
  abort(reason: unknown): void {
    this.#aborted = true;
    this.#controller.abort(reason);
  }
}

const cancelled = new ConnectError("gone", Code.Canceled);

/** An engine that answers every command later, as a remote one does. */
const asyncStore = (reply: unknown) =>
  ({ run: () => Promise.resolve(reply), commandLog: new CommandLog() }) as unknown as Store;

describe("the wait options a command gets", () => {
  // An object literal with a getter of its own gets a map of its own in V8 (the getter is a new
  // closure per call); maps live in the old generation, so the getter's closure and the call
  // context it holds were kept through every young GC until a full one (issue 14: ~0.9 KB
  // promoted per unary GET). One class, the getter on its prototype, never builds a map per call.
  it("carry no accessor of their own, share one prototype, and read the context's signal only when asked", () => {
    const seen: object[] = [];
    const store = {
      run: (_argv: unknown, wait: object) => {
        seen.push(wait);
        return null;
      },
      commandLog: new CommandLog(),
    } as unknown as Store;
    const a = new LazyContext();
    const b = new LazyContext();
    invoke(store, ["GET", "k"], a);
    invoke(store, ["GET", "k"], b);
    const [wa, wb] = seen as [{ signal: AbortSignal; blocked?: boolean }, { signal: AbortSignal }];
    expect(Object.getOwnPropertyDescriptor(wa, "signal")).toBeUndefined();
    expect(Object.getPrototypeOf(wa)).toBe(Object.getPrototypeOf(wb));
    expect(Object.getPrototypeOf(wa)).not.toBe(Object.prototype);
    expect(Object.keys(wa)).toEqual(Object.keys(wb));
    expect(a.reads).toBe(0);
    expect(wa.signal).toBe(a.signal);
    expect(wb.signal).toBe(b.signal);
    wa.blocked = true;
    expect(wa.blocked).toBe(true);
  });
});

describe("invoke with a signal or a context", () => {
  it.each([
    ["an AbortSignal", () => new AbortController().signal],
    ["a context with a signal", () => ({ signal: new AbortController().signal })],
    ["a lazy context", () => new LazyContext()],
  ] as [string, () => CallSignal][])("%s: runs the command", async (_name, source) => {
    const { store } = createTestStore();
    await invoke(store, ["SET", "k", "v"], source());
    expect(await invoke(store, ["GET", "k"], source())).toEqual("v");
    expect(
      await invokeBatch(
        store,
        [
          ["GET", "k"],
          ["STRLEN", "k"],
        ],
        source(),
      ),
    ).toEqual(["v", 1]);
    expect(await invokeAll(store, [["EXISTS", "k"]], source())).toEqual([1]);
  });

  it("a synchronous engine's reply is returned as it is, an asynchronous one's as a promise", async () => {
    const { store } = createTestStore();
    const signal = new AbortController().signal;
    const reply = invoke(store, ["SET", "k", "v"], signal);
    expect(reply).not.toBeInstanceOf(Promise);
    expect(reply).toEqual(new Status("OK"));
    expect(mapReply(invoke(store, ["GET", "k"], signal), (r) => [r])).toEqual(["v"]);
    const later = mapReply(Promise.resolve<Reply>("w"), (r) => [r]);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toEqual(["w"]);
  });

  it("a synchronous command never reads a lazy context's signal", async () => {
    const { store } = createTestStore();
    const ctx = new LazyContext();
    await invoke(store, ["SET", "k", "v"], ctx);
    await invokeBatch(store, [["GET", "k"]], ctx);
    checkSignal(ctx);
    expect(ctx.reads).toBe(0);
  });

  it("an engine answering with a Promise reads it once, to race the reply", async () => {
    const ctx = new LazyContext();
    expect(await invoke(asyncStore(7), ["GET", "k"], ctx)).toBe(7);
    expect(ctx.reads).toBe(1);
  });

  it.each([
    ["an AbortSignal", (c: LazyContext) => c.signal],
    ["a context with a signal", (c: LazyContext) => ({ signal: c.signal })],
    ["a lazy context", (c: LazyContext) => c],
  ] as [string, (c: LazyContext) => CallSignal][])("%s, aborted: the abort's reason is thrown", async (_n, of) => {
    const { store } = createTestStore();
    const ctx = new LazyContext();
    ctx.abort(cancelled);
    // invoke is synchronous up to the engine: its refusal is a throw (a rejection once awaited).
    expect(() => invoke(store, ["SET", "k", "v"], of(ctx))).toThrow(cancelled);
    await expect(invokeBatch(store, [["GET", "k"]], of(ctx))).rejects.toBe(cancelled);
    expect(() => checkSignal(of(ctx))).toThrow(cancelled);
    // Nothing ran.
    expect(await invoke(store, ["EXISTS", "k"], new AbortController().signal)).toBe(0);
  });

  it("many commands racing one signal share one abort listener, and an abort still rejects each", async () => {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    const never = { run: () => new Promise(() => {}), commandLog: new CommandLog() } as unknown as Store;
    const settled = asyncStore(1);
    // A Batch of 200 on a remote engine races 200 replies at once (a listener each made Node warn).
    const pending = Array.from({ length: 200 }, () => invoke(never, ["GET", "k"], controller.signal));
    for (let i = 0; i < 50; i++) expect(await invoke(settled, ["GET", "k"], controller.signal)).toBe(1);
    expect(listeners).toBe(1);
    controller.abort(cancelled);
    for (const p of pending) await expect(p).rejects.toBe(cancelled);
  });

  it("a context aborted while an async engine works rejects with the reason", async () => {
    const ctx = new LazyContext();
    const never = { run: () => new Promise(() => {}), commandLog: new CommandLog() } as unknown as Store;
    const pending = invoke(never, ["GET", "k"], ctx);
    ctx.abort(cancelled);
    await expect(pending).rejects.toBe(cancelled);
  });
});
