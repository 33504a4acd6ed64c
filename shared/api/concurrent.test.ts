import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  type CommandSchema,
  type PipelineRequestSchema,
  TransactionService,
} from "../gen/memorabilia/v1/transaction_service_pb.js";
import { createManualClock } from "../store/clock.js";
import type { Repository } from "../store/repository.js";
import { StagedRepository } from "../store/staged-repository.test-helpers.js";
import { createStore } from "../store/store.js";
import { seededRandom } from "../store/testing.js";
import { storeWithRun } from "./command-dispatch.js";
import { answerInOrder, runInOrder } from "./concurrent.js";
import { invokeBatch } from "./invoke.js";
import { GROUP_KEYS } from "./remote-batch.js";
import { createTransactionService } from "./transaction-service.js";

type CommandInit = MessageInitShape<typeof CommandSchema>;
type PipelineInit = MessageInitShape<typeof PipelineRequestSchema>;
const enc = (s: string) => new TextEncoder().encode(s);
const raw = (...args: string[]): CommandInit => ({ kind: { case: "raw", value: { args: args.map(enc) } } });

/** Resolvable promises, to control when each started item settles. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("runInOrder", () => {
  it("starts items in order, never more than the window unsettled, results in order", async () => {
    const gates = Array.from({ length: 6 }, () => deferred<number>());
    const started: number[] = [];
    const done = runInOrder(
      [0, 1, 2, 3, 4, 5],
      (i) => {
        started.push(i);
        return gates[i]?.promise as Promise<number>;
      },
      2,
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve(10); // not the oldest: nothing more starts
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1]);
    gates[0]?.resolve(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2, 3]);
    for (const i of [5, 4, 3, 2]) gates[i]?.resolve(i * 10);
    expect(await done).toEqual([0, 10, 20, 30, 40, 50]);
  });
});

describe("answerInOrder", () => {
  it("starts each request on arrival and answers in arrival order", async () => {
    const gates = Array.from({ length: 3 }, () => deferred<string>());
    const started: number[] = [];
    async function* requests() {
      for (let i = 0; i < 3; i++) yield i;
    }
    const out: string[] = [];
    const consume = (async () => {
      for await (const answer of answerInOrder(requests(), (i) => {
        started.push(i);
        return (gates[i] as { promise: Promise<string> }).promise;
      })) {
        out.push(answer);
      }
    })();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]); // all three started before any answer
    gates[2]?.resolve("c");
    gates[1]?.resolve("b");
    await new Promise((r) => setTimeout(r, 0));
    expect(out).toEqual([]);
    gates[0]?.resolve("a");
    await consume;
    expect(out).toEqual(["a", "b", "c"]);
  });

  it("reads ahead only while the window has room", async () => {
    let pulled = 0;
    async function* requests() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const gate = deferred<number>();
    const iter = answerInOrder(requests(), () => gate.promise, 3);
    const first = iter.next();
    await new Promise((r) => setTimeout(r, 0));
    expect(pulled).toBe(3);
    gate.resolve(7);
    expect((await first).value).toBe(7);
    await iter.return(undefined);
  });
});

/** A store over the remote-engine model, and one over the Map engine, with the same clock and seed. */
function stores() {
  const clock = createManualClock(1_780_000_000_000);
  // A round trip of a timer tick, so requests arrive while earlier commands are still in flight.
  const repo = new StagedRepository({ roundTrip: () => new Promise((r) => setTimeout(r, 1)) });
  return {
    repo,
    remote: createStore({ clock, random: seededRandom(1), repository: repo as Repository }),
    local: createStore({ clock, random: seededRandom(1) }),
  };
}

/** Commands on a few keys, interleaved: per-key order decides every reply. */
function workload(n: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = `k${i % 7}`;
    out.push(
      i % 5 === 0
        ? ["GET", k]
        : i % 11 === 0
          ? ["DEL", k]
          : i % 13 === 0
            ? ["LPUSH", k, "x"]
            : ["INCRBY", k, String(i)],
    );
    if (i % 37 === 0) out.push(["DBSIZE"]);
  }
  return out;
}

describe("Batch and Pipeline on an asynchronous engine", () => {
  it("invokeBatch runs commands concurrently, keeps per-key order, replies as a synchronous engine does", async () => {
    const { repo, remote, local } = stores();
    const argvs = workload(300);
    const signal = new AbortController().signal;
    const want = await invokeBatch(local, argvs, signal);
    const got = await invokeBatch(remote, argvs, signal);
    expect(got).toEqual(want);
    expect(repo.maxInFlight).toBeGreaterThan(1);
    expect(remote.locks.idle).toBe(true);
  });

  it("the Batch and Pipeline RPCs give the same results as over the Map engine, with commands in flight together", async () => {
    const { repo, remote, local } = stores();
    const client = (store: typeof remote) =>
      createClient(
        TransactionService,
        createRouterTransport((router) => router.service(TransactionService, createTransactionService(store))),
      );
    const commands = workload(200).map((argv) => raw(...argv));
    // Every engine call the RPCs make, by its key count: commands run in groups of at most
    // GROUP_KEYS keys (remote-batch.ts), never one engine round trip per command.
    const calls: number[] = [];
    const atomic = repo.atomic.bind(repo);
    repo.atomic = (keys, nowMs, fn) => {
      calls.push(keys?.length ?? -1);
      return atomic(keys, nowMs, fn);
    };
    const batch = async (store: typeof remote) => (await client(store).batch({ commands })).results;
    expect(await batch(remote)).toEqual(await batch(local));
    expect(calls.length).toBeLessThan(commands.length / 4);
    expect(Math.max(...calls)).toBeLessThanOrEqual(GROUP_KEYS);

    calls.length = 0;
    const pipeline = async (store: typeof remote) => {
      async function* requests(): AsyncGenerator<PipelineInit> {
        for (let i = 0; i < commands.length; i++) yield { id: BigInt(i), command: commands[i] };
      }
      const out = [];
      for await (const res of client(store).pipeline(requests())) out.push(res);
      return out;
    };
    const got = await pipeline(remote);
    expect(got).toEqual(await pipeline(local));
    expect(got.map((r) => r.id)).toEqual(commands.map((_, i) => BigInt(i)));
    expect(calls.length).toBeLessThan(commands.length / 4);
    expect(remote.locks.idle).toBe(true);
  });
});

describe("storeWithRun (the stand-in Batch groups and transaction recording use)", () => {
  it("routes run, delegates everything else to the store, and refuses a field written through it", async () => {
    const store = createStore({ clock: createManualClock(1_700_000_000_000) });
    store.execSync(["SET", "k", "v"]);
    const seen: string[] = [];
    const standIn = storeWithRun(store, (argv, wait) => {
      seen.push(String(argv[0]));
      return store.run(argv, wait);
    });
    expect(await standIn.run(["GET", "k"])).toBe("v");
    expect(seen).toEqual(["GET"]);
    expect(standIn.clock).toBe(store.clock); // read through to the store
    expect(standIn.commandLog).toBe(store.commandLog);
    // Without the freeze each of these would set a field on the stand-in only (the store would never
    // see it): a direct write, and a store method that keeps state in its own fields.
    expect(() => {
      (standIn as unknown as { commandLog: unknown }).commandLog = undefined;
    }).toThrow(TypeError);
    expect(() => standIn.execSync(["DBSIZE"])).toThrow(TypeError);
    expect(store.commandLog).toBeDefined();
    expect(store.execSync(["DBSIZE"])).toBe(1);
  });
});
