/**
 * The slow log on a remote engine: a command's duration is the time its own code ran, not the
 * engine's round trips nor the wait for another command's key lock (as Redis leaves I/O out). Run
 * on a stand-in engine whose every call takes 30 ms (so no etcd is needed) and whose key reads can
 * be made to burn CPU (the command's code running slowly on fetched keys).
 */
import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { invoke, invokeBatch } from "../../shared/api/invoke.js";
import { createTransactionService } from "../../shared/api/transaction-service.js";
import { CommandSchema, TransactionService } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import type { Bytes } from "../../shared/store/bytes.js";
import type { KeyView } from "../../shared/store/repository.js";
import { AwaitedRepository } from "../../shared/store/staged-repository.test-helpers.js";
import { createStore } from "../../shared/store/store.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

const ROUND_TRIP_MS = 30;

/** The Map engine behind a 30 ms wait per call; `burnMs` makes every key read inside a command spin. */
class SlowEngine extends AwaitedRepository {
  burnMs = 0;
  override async atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T): Promise<T> {
    await new Promise((r) => setTimeout(r, ROUND_TRIP_MS));
    const burn = this.burnMs;
    return this.inner.atomic(keys, nowMs, (view) => {
      if (burn === 0) return fn(view);
      const slowView = Object.create(view) as KeyView;
      slowView.lookup = (key) => {
        const until = performance.now() + burn;
        while (performance.now() < until) {}
        return view.lookup(key);
      };
      return fn(slowView);
    });
  }
}

const signal = () => new AbortController().signal;

describe("slow log on a remote engine", () => {
  it("does not count the engine's round trips: a 30 ms engine call is not a slow command", async () => {
    const engine = new SlowEngine();
    const store = createStore({ repository: engine });
    store.commandLog.slowerThan = 10_000; // Redis's default, 10 ms
    await invoke(store, ["SET", "k", "v"], signal());
    const t0 = performance.now();
    expect(await invoke(store, ["GET", "k"], signal())).toBe("v");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(ROUND_TRIP_MS - 1);
    const batch = await invokeBatch(
      store,
      Array.from({ length: 20 }, () => ["GET", "k"]),
      signal(),
    );
    expect(batch).toHaveLength(20);
    expect(store.commandLog.length).toBe(0);
  });

  it("logs the command's own time (threshold 0 keeps everything, each far under the round trip)", async () => {
    const store = createStore({ repository: new SlowEngine() });
    store.commandLog.slowerThan = 0;
    await invoke(store, ["SET", "k", "v"], signal());
    // Ten commands on one key queue behind each other's key lock (~300 ms of waiting for the last).
    await invokeBatch(
      store,
      Array.from({ length: 10 }, (_, i) => ["SET", "k", `v${i}`]),
      signal(),
    );
    const entries = store.commandLog.get(-1);
    expect(entries).toHaveLength(11);
    for (const e of entries) expect(e.durationUs).toBeLessThan(ROUND_TRIP_MS * 1000 * 0.5);
  });

  it("the Batch and Pipeline RPCs (commands run in groups) log each command once, with its own time", async () => {
    const store = createStore({ repository: new SlowEngine() });
    store.commandLog.slowerThan = 0;
    const client = createClient(
      TransactionService,
      createRouterTransport((router) => router.service(TransactionService, createTransactionService(store))),
    );
    // Two keys, so the GETs depend on the SETs before them: per-key order decides the replies.
    const commands = Array.from({ length: 30 }, (_, i) =>
      create(
        CommandSchema,
        i % 3 === 2
          ? { kind: { case: "get", value: { key: `k${i % 2}` } } }
          : { kind: { case: "set", value: { key: `k${i % 2}`, value: utf8(`v${i}`) } } },
      ),
    );
    const { results } = await client.batch({ commands });
    expect(
      results.map((r) => (r.kind.case === "get" ? new TextDecoder().decode(r.kind.value.value) : r.kind.case)),
    ).toEqual(commands.map((_, i) => (i % 3 === 2 ? `v${i - 2}` : "set")));
    async function* requests() {
      for (let i = 0; i < commands.length; i++) yield { id: BigInt(i), command: commands[i] };
    }
    for await (const _ of client.pipeline(requests())) {
    }
    const entries = store.commandLog.get(-1);
    expect(entries).toHaveLength(60);
    for (const e of entries) expect(e.durationUs).toBeLessThan(ROUND_TRIP_MS * 1000 * 0.5);
  });

  it("still logs a command whose own code is slow, with that time", async () => {
    const engine = new SlowEngine();
    const store = createStore({ repository: engine });
    store.commandLog.slowerThan = 10_000;
    await invoke(store, ["SET", "k", "v"], signal());
    engine.burnMs = 25;
    expect(await invoke(store, ["GET", "k"], signal())).toBe("v");
    const [entry] = store.commandLog.get(1);
    expect(entry?.args).toEqual(["GET", "k"]);
    expect(entry?.durationUs).toBeGreaterThanOrEqual(25_000);
  });

  it("an argv whose record never came is not taken for a later command reusing the array", async () => {
    const store = createStore({ repository: new SlowEngine() });
    store.commandLog.slowerThan = 10_000;
    const argv: Bytes[] = ["GET", "k"];
    // Run without the host timing it: the store hands its time over, nobody records it.
    await store.run(argv);
    const started = performance.now();
    while (performance.now() - started < 12) {}
    // The host now records the same array for a command that took 12 ms of wall time.
    store.commandLog.recordSpan(argv, started, performance.now(), () => ({ addr: "a", name: "", source: "t" }));
    expect(store.commandLog.length).toBe(1);
  });
});
