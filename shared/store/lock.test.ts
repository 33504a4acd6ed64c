import { afterEach, describe, expect, it, vi } from "vitest";
import { StoreError } from "./errors.js";
import { KeyedLock, type LockMode, type Release, RWLock } from "./lock.js";
import { seededRandom } from "./testing.js";

/** Lets every pending promise callback run (several microtask hops). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Yields to the event loop `n` times, as real async work between awaits would. */
async function yieldTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => queueMicrotask(resolve));
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): { readonly done: boolean; readonly value: T | undefined; readonly error: unknown } {
  const state = { done: false, value: undefined as T | undefined, error: undefined as unknown };
  p.then(
    (v) => {
      state.done = true;
      state.value = v;
    },
    (e: unknown) => {
      state.done = true;
      state.error = e;
    },
  );
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("RWLock", () => {
  it("keeps a shared counter exact under many interleaved writers, and readers never see a writer", async () => {
    const lock = new RWLock();
    const random = seededRandom(7);
    let counter = 0;
    let writersInside = 0;
    let readersInside = 0;
    let maxReadersInside = 0;
    const violations: string[] = [];
    const writer = async (): Promise<void> => {
      const release = await lock.write();
      writersInside++;
      if (writersInside !== 1 || readersInside !== 0) violations.push("writer not alone");
      const seen = counter; // read-modify-write across awaits: lost updates without the lock
      await yieldTurns(1 + Math.floor(random() * 4));
      counter = seen + 1;
      writersInside--;
      release();
    };
    const reader = async (): Promise<void> => {
      const release = await lock.read();
      readersInside++;
      maxReadersInside = Math.max(maxReadersInside, readersInside);
      if (writersInside !== 0) violations.push("reader saw a writer");
      const seen = counter;
      await yieldTurns(1 + Math.floor(random() * 4));
      if (counter !== seen) violations.push("value changed under a reader");
      readersInside--;
      release();
    };
    const tasks: Promise<void>[] = [];
    let writers = 0;
    for (let i = 0; i < 200; i++) {
      if (random() < 0.5) {
        writers++;
        tasks.push(writer());
      } else tasks.push(reader());
      if (random() < 0.3) await yieldTurns(1);
    }
    await Promise.all(tasks);
    expect(violations).toEqual([]);
    expect(counter).toBe(writers);
    expect(maxReadersInside).toBeGreaterThan(1);
    expect(lock.idle).toBe(true);
  });

  it("admits many readers at once", async () => {
    const lock = new RWLock();
    const releases = await Promise.all([lock.read(), lock.read(), lock.read()]);
    expect(lock.readers).toBe(3);
    expect(lock.writing).toBe(false);
    for (const r of releases) r();
    expect(lock.idle).toBe(true);
  });

  it("makes a writer wait for readers, and a reader wait for a writer", async () => {
    const lock = new RWLock();
    const r1 = await lock.read();
    const w = track(lock.write());
    await settle();
    expect(w.done).toBe(false);
    r1();
    await settle();
    expect(w.done).toBe(true);
    expect(lock.writing).toBe(true);
    const r2 = track(lock.read());
    await settle();
    expect(r2.done).toBe(false);
    (w.value as Release)();
    await settle();
    expect(r2.done).toBe(true);
    expect(lock.readers).toBe(1);
  });

  it("prefers writers: a reader arriving after a waiting writer waits even though readers hold the lock", async () => {
    const lock = new RWLock();
    const r1 = await lock.read();
    const w = track(lock.write());
    const r2 = track(lock.read());
    await settle();
    expect(w.done).toBe(false);
    expect(r2.done).toBe(false);
    expect(lock.tryAcquire("read")).toBeUndefined();
    r1();
    await settle();
    expect(w.done).toBe(true);
    expect(r2.done).toBe(false);
    (w.value as Release)();
    await settle();
    expect(r2.done).toBe(true);
  });

  it("grants in arrival order; consecutive readers enter together", async () => {
    const lock = new RWLock();
    const order: string[] = [];
    const first = await lock.write();
    const queue: [string, LockMode][] = [
      ["w1", "write"],
      ["r2", "read"],
      ["r3", "read"],
      ["w4", "write"],
      ["w5", "write"],
      ["r6", "read"],
    ];
    const held = new Map<string, Release>();
    const all = queue.map(([name, mode]) =>
      lock.acquire(mode).then((release) => {
        order.push(name);
        held.set(name, release);
      }),
    );
    await settle();
    expect(order).toEqual([]);
    expect(lock.pending).toBe(6);
    first();
    await settle();
    expect(order).toEqual(["w1"]);
    held.get("w1")?.();
    await settle();
    expect(order).toEqual(["w1", "r2", "r3"]);
    expect(lock.readers).toBe(2);
    held.get("r2")?.();
    await settle();
    expect(order).toEqual(["w1", "r2", "r3"]);
    held.get("r3")?.();
    await settle();
    expect(order).toEqual(["w1", "r2", "r3", "w4"]);
    held.get("w4")?.();
    await settle();
    expect(order).toEqual(["w1", "r2", "r3", "w4", "w5"]);
    held.get("w5")?.();
    await Promise.all(all);
    expect(order).toEqual(["w1", "r2", "r3", "w4", "w5", "r6"]);
    held.get("r6")?.();
    expect(lock.idle).toBe(true);
  });

  it("serves many writers strictly first-come first-served", async () => {
    const lock = new RWLock();
    const order: number[] = [];
    const tasks = Array.from({ length: 20 }, async (_, i) => {
      const release = await lock.write();
      order.push(i);
      await yieldTurns(i % 3);
      release();
    });
    await Promise.all(tasks);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("tryAcquire takes a free lock and refuses a busy one", () => {
    const lock = new RWLock();
    const r = lock.tryAcquire("read");
    expect(r).toBeTypeOf("function");
    expect(lock.tryAcquire("read")).toBeTypeOf("function");
    expect(lock.tryAcquire("write")).toBeUndefined();
  });

  it("ignores a second release", async () => {
    const lock = new RWLock();
    const a = await lock.read();
    const b = await lock.read();
    a();
    a();
    expect(lock.readers).toBe(1);
    const w = track(lock.write());
    await settle();
    expect(w.done).toBe(false); // b still holds: a's double release did not count for it
    b();
    await settle();
    expect(w.done).toBe(true);
    const release = w.value as Release;
    release();
    release();
    expect(lock.writing).toBe(false);
    expect(lock.readers).toBe(0);
  });

  describe("cancellation", () => {
    it.each<[string, LockMode]>([
      ["free lock, read", "read"],
      ["free lock, write", "write"],
    ])("an already-aborted signal rejects at once (%s)", async (_, mode) => {
      const lock = new RWLock();
      const reason = new Error("stop");
      await expect(lock.acquire(mode, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(lock.idle).toBe(true);
    });

    it("rejects a queued writer with the signal's reason and leaves the lock usable", async () => {
      const lock = new RWLock();
      const r1 = await lock.read();
      const controller = new AbortController();
      const reason = new Error("client went away");
      const w = lock.write({ signal: controller.signal });
      const w2 = track(lock.write());
      await settle();
      expect(lock.pending).toBe(2);
      controller.abort(reason);
      await expect(w).rejects.toBe(reason);
      expect(lock.pending).toBe(1);
      r1();
      await settle();
      expect(w2.done).toBe(true);
      (w2.value as Release)();
      expect(lock.idle).toBe(true);
    });

    it("a cancelled writer at the head lets the readers behind it in", async () => {
      const lock = new RWLock();
      await lock.read();
      const controller = new AbortController();
      const w = lock.write({ signal: controller.signal });
      const r2 = track(lock.read());
      await settle();
      expect(r2.done).toBe(false);
      controller.abort();
      await expect(w).rejects.toMatchObject({ name: "AbortError" });
      await settle();
      expect(r2.done).toBe(true);
      expect(lock.readers).toBe(2);
      expect(lock.pending).toBe(0);
    });

    it("a signal that fires after the grant changes nothing", async () => {
      const lock = new RWLock();
      const first = await lock.write();
      const controller = new AbortController();
      const w = track(lock.write({ signal: controller.signal }));
      first();
      await settle();
      expect(w.done).toBe(true);
      controller.abort();
      await settle();
      expect(w.error).toBeUndefined();
      expect(lock.writing).toBe(true);
    });

    it("times out a waiting acquisition with an ABORTED error", async () => {
      vi.useFakeTimers();
      const lock = new RWLock();
      const held = await lock.write();
      const w = lock.read({ timeoutMs: 100 });
      const outcome = w.then(
        () => "granted",
        (e: unknown) => e,
      );
      await vi.advanceTimersByTimeAsync(99);
      expect(lock.pending).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("ABORTED");
      expect((error as StoreError).message).toBe("ERR lock wait timed out after 100 ms");
      expect(lock.pending).toBe(0);
      held();
      expect(lock.idle).toBe(true);
    });

    it.each([-1, Number.NaN])("refuses the timeout %s with a TypeError", async (timeoutMs) => {
      await expect(new RWLock().write({ timeoutMs })).rejects.toThrow(TypeError);
      await expect(new KeyedLock().write(["k"], { timeoutMs })).rejects.toThrow(TypeError);
    });

    it("a grant before the timeout clears its timer", async () => {
      vi.useFakeTimers();
      const lock = new RWLock();
      const held = await lock.write();
      const w = track(lock.write({ timeoutMs: 50 }));
      expect(vi.getTimerCount()).toBe(1);
      held();
      await settle();
      expect(w.done).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(100);
      expect(w.error).toBeUndefined();
    });
  });
});

describe("KeyedLock", () => {
  it("runs disjoint key sets concurrently and serializes overlapping ones", async () => {
    const locks = new KeyedLock();
    const a = await locks.write(["a", "b"]);
    const c = track(locks.write(["c"]));
    const b = track(locks.write(["b", "d"]));
    await settle();
    expect(c.done).toBe(true);
    expect(b.done).toBe(false);
    a();
    await settle();
    expect(b.done).toBe(true);
    (b.value as Release)();
    (c.value as Release)();
    expect(locks.size).toBe(0);
    expect(locks.idle).toBe(true);
  });

  it("shares read keys and excludes writes; a key in both lists is written", async () => {
    const locks = new KeyedLock();
    const r1 = await locks.read(["k"]);
    const r2 = track(locks.read(["k"]));
    const both = track(locks.acquire({ read: ["k"], write: ["k"] }));
    await settle();
    expect(r2.done).toBe(true);
    expect(both.done).toBe(false);
    r1();
    (r2.value as Release)();
    await settle();
    expect(both.done).toBe(true);
    (both.value as Release)();
    expect(locks.idle).toBe(true);
  });

  it("never deadlocks on overlapping sets taken in any order, and keeps per-key counters exact", async () => {
    const locks = new KeyedLock();
    const random = seededRandom(11);
    const keys = ["a", "b", "c", "d", "e"];
    const counters = new Map(keys.map((k) => [k, 0]));
    const expected = new Map(keys.map((k) => [k, 0]));
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < 150; i++) {
      // A random subset, listed in a random order: the lock must sort it.
      const set = keys.filter(() => random() < 0.5).sort(() => random() - 0.5);
      for (const k of set) expected.set(k, (expected.get(k) as number) + 1);
      tasks.push(
        (async () => {
          const release = await locks.write(set);
          const seen = set.map((k) => counters.get(k) as number);
          await yieldTurns(1 + Math.floor(random() * 3));
          set.forEach((k, j) => {
            counters.set(k, (seen[j] as number) + 1);
          });
          release();
        })(),
      );
    }
    await Promise.all(tasks);
    expect(counters).toEqual(expected);
    expect(locks.idle).toBe(true);
  });

  it("cancelled while waiting for its second key, it gives back the first", async () => {
    const locks = new KeyedLock();
    const holdB = await locks.write(["b"]);
    const controller = new AbortController();
    const reason = new Error("cancel");
    const ab = locks.write(["b", "a"], { signal: controller.signal });
    await settle();
    // Issued before it, the request is ahead of this one on "a" while it waits for "b".
    const a = track(locks.write(["a"]));
    await settle();
    expect(a.done).toBe(false);
    controller.abort(reason);
    await expect(ab).rejects.toBe(reason);
    await settle();
    expect(a.done).toBe(true);
    (a.value as Release)();
    holdB();
    expect(locks.size).toBe(0);
    expect(locks.idle).toBe(true);
  });

  it("drops the per-key lock of a request cancelled before it was queued", async () => {
    const locks = new KeyedLock();
    await expect(locks.write(["x"], { signal: AbortSignal.abort(new Error("no")) })).rejects.toThrow("no");
    expect(locks.size).toBe(0);
    expect(locks.idle).toBe(true);
  });

  it("bounds the whole acquisition with one timeout", async () => {
    vi.useFakeTimers();
    const locks = new KeyedLock();
    const holdB = await locks.write(["b"]);
    const ab = locks.write(["a", "b"], { timeoutMs: 30 }).then(
      () => "granted",
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(30);
    const error = await ab;
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toBe("ERR lock wait timed out after 30 ms");
    holdB();
    expect(locks.idle).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("exclusive() waits for key holders and holds back later key requests", async () => {
    const locks = new KeyedLock();
    const k = await locks.write(["k"]);
    const all = track(locks.exclusive());
    const later = track(locks.read(["other"]));
    await settle();
    expect(all.done).toBe(false);
    expect(later.done).toBe(false); // writer preference on the keyspace
    k();
    await settle();
    expect(all.done).toBe(true);
    expect(later.done).toBe(false);
    (all.value as Release)();
    await settle();
    expect(later.done).toBe(true);
    const release = later.value as Release;
    release();
    release();
    expect(locks.idle).toBe(true);
  });

  it("keeps issue order on a shared key, whatever the other keys of each request", async () => {
    const locks = new KeyedLock();
    const order: string[] = [];
    // Issued in this order in one turn: the first takes two keys, the second only the shared one.
    const first = locks.write(["a", "k"]).then((r) => {
      order.push("first");
      return r;
    });
    const second = locks.write(["k"]).then((r) => {
      order.push("second");
      return r;
    });
    await settle();
    expect(order).toEqual(["first"]);
    (await first)();
    (await second)();
    expect(order).toEqual(["first", "second"]);
    // The same behind a holder: when it lets go, the earlier request gets the key first.
    const hold = await locks.write(["k"]);
    order.length = 0;
    const p1 = locks.acquire({ write: ["k"], read: ["b", "c"] }).then((r) => {
      order.push("p1");
      return r;
    });
    const p2 = locks.read(["k"]).then((r) => {
      order.push("p2");
      return r;
    });
    hold();
    await settle();
    expect(order).toEqual(["p1"]);
    (await p1)();
    (await p2)();
    expect(locks.idle).toBe(true);
  });

  it("grants an uncontended request synchronously, a contended one as a promise", () => {
    const locks = new KeyedLock();
    const r = locks.lock({ read: ["x"], write: ["y"] });
    expect(typeof r).toBe("function");
    const again = locks.lock({ read: ["x"] });
    expect(typeof again).toBe("function"); // readers share
    const w = locks.lock({ write: ["x"] });
    expect(w).toBeInstanceOf(Promise);
    const whole = locks.lockKeyspace();
    expect(whole).toBeInstanceOf(Promise);
    const after = locks.lock({ read: ["z"] });
    expect(after).toBeInstanceOf(Promise); // behind the waiting whole-keyspace request
    (r as Release)();
    (again as Release)();
    return (async () => {
      (await w)();
      (await whole)();
      (await after)();
      expect(locks.idle).toBe(true);
    })();
  });

  it("never grants conflicting requests together, and grants conflicting ones in issue order (random model)", async () => {
    const random = seededRandom(7);
    const keys = ["a", "b", "c", "d"];
    const locks = new KeyedLock();
    type Req = { id: number; read: string[]; write: string[]; whole: boolean };
    const active = new Set<Req>();
    const granted: number[] = [];
    const conflict = (x: Req, y: Req) =>
      x.whole ||
      y.whole ||
      x.write.some((k) => y.write.includes(k) || y.read.includes(k)) ||
      y.write.some((k) => x.read.includes(k));
    const issued: Req[] = [];
    const cancelled = new Set<number>();
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const whole = random() < 0.05;
      const read = whole ? [] : keys.filter(() => random() < 0.3);
      const write = whole ? [] : keys.filter((k) => !read.includes(k) && random() < 0.3);
      const req: Req = { id: i, read, write, whole };
      issued.push(req);
      const controller = random() < 0.1 ? new AbortController() : undefined;
      const p = whole
        ? locks.exclusive({ signal: controller?.signal })
        : locks.acquire({ read, write }, { signal: controller?.signal });
      if (controller !== undefined) setTimeout(() => controller.abort(new Error("cancel")), Math.floor(random() * 3));
      tasks.push(
        p.then(
          async (release) => {
            for (const other of active) expect(conflict(req, other), `${req.id} with ${other.id}`).toBe(false);
            active.add(req);
            granted.push(req.id);
            await yieldTurns(Math.floor(random() * 4));
            if (random() < 0.3) await new Promise((r) => setTimeout(r, 1));
            active.delete(req);
            release();
          },
          () => {
            cancelled.add(req.id);
          },
        ),
      );
      if (random() < 0.2) await yieldTurns(1);
    }
    await Promise.all(tasks);
    expect(locks.idle).toBe(true);
    // Any two conflicting requests that both ran were granted in the order they were issued.
    const at = new Map(granted.map((id, i) => [id, i]));
    const ran = issued.filter((r) => !cancelled.has(r.id));
    expect(ran.length + cancelled.size).toBe(issued.length);
    for (let i = 0; i < ran.length; i++)
      for (let j = i + 1; j < ran.length; j++) {
        const x = ran[i] as Req;
        const y = ran[j] as Req;
        if (conflict(x, y))
          expect((at.get(x.id) as number) < (at.get(y.id) as number), `${x.id} before ${y.id}`).toBe(true);
      }
  });
});
