/**
 * Test helpers for the store (used by *.test.ts files only; not part of the public API).
 */
import { createManualClock, type ManualClock } from "./clock.js";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import type { Reply } from "./reply.js";
import { type Arg, createStore, type Store, type StoreOptions } from "./store.js";

/** A store with a manual clock and a deterministic random source. */
export interface TestStore {
  readonly store: Store;
  readonly clock: ManualClock;
  /** Runs a command synchronously; errors are returned (as StoreError), not thrown. */
  run(...argv: Arg[]): Reply;
  /** Runs a command and throws if it failed. */
  ok(...argv: Arg[]): Reply;
  /** Events recorded since creation (or the last `events.length = 0`). */
  readonly events: KeyspaceEvent[];
}

/** A seeded PRNG (mulberry32) so random commands are reproducible. */
export function seededRandom(seed = 42): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Creates a {@link TestStore}. */
export function createTestStore(options: StoreOptions = {}): TestStore {
  const clock = createManualClock();
  const store = createStore({ clock, random: seededRandom(), ...options });
  const events: KeyspaceEvent[] = [];
  store.events.subscribe({}, (e) => events.push(e));
  const run = (...argv: Arg[]): Reply => {
    try {
      return store.execSync(argv);
    } catch (error) {
      if (error instanceof StoreError) return error;
      throw error;
    }
  };
  return {
    store,
    clock,
    run,
    ok: (...argv) => store.execSync(argv),
    events,
  };
}

/** A matcher value for an error reply with this code (and optionally this exact message). */
export function err(code: StoreError["code"], message?: string): StoreError {
  return new StoreError(code, message);
}

/** Compares replies structurally; StoreErrors compare by code (and message when given). */
export function sameReply(actual: Reply, expected: Reply): boolean {
  if (expected instanceof StoreError) {
    return (
      actual instanceof StoreError &&
      actual.code === expected.code &&
      (expected.message === "" || actual.message === expected.message)
    );
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => sameReply(actual[i] as Reply, e as Reply))
    );
  }
  if (expected !== null && typeof expected === "object" && actual !== null && typeof actual === "object") {
    return (expected as { text?: string }).text === (actual as { text?: string }).text;
  }
  return actual === expected;
}
