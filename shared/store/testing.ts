/**
 * Test helpers for the store (used by *.test.ts files only; not part of the public API).
 */
import { expect } from "vitest";
import type { Bytes } from "./bytes.js";
import { createManualClock, type ManualClock } from "./clock.js";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import { type Reply, Status } from "./reply.js";
import type { LocalKeyspace } from "./repository.js";
import { type Arg, createStore, type Store, type StoreOptions } from "./store.js";
import type { Value } from "./value.js";

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

/** Asserts a reply: an error by code and exact message, anything else structurally (`toEqual`). */
export function expectReply(actual: Reply, expected: Reply): void {
  if (expected instanceof StoreError) {
    expect(actual).toBeInstanceOf(StoreError);
    expect((actual as StoreError).code).toBe(expected.code);
    expect((actual as StoreError).message).toBe(expected.message);
  } else {
    expect(actual).toEqual(expected);
  }
}

/**
 * Asserts a reply with {@link sameReply} (an error matcher with an empty message checks the code
 * only); on a mismatch, `toEqual` shows the diff.
 */
export function expectSameReply(actual: Reply, expected: Reply): void {
  if (!sameReply(actual, expected)) expect(actual).toEqual(expected);
}

/** A reply as plain data for readable diffs: `{ error }`, `{ status }`, bigints as `"12n"`. */
export function plainReply(reply: Reply): unknown {
  if (reply instanceof StoreError) return { error: reply.message };
  if (reply instanceof Status) return { status: reply.text };
  if (Array.isArray(reply)) return reply.map(plainReply);
  if (typeof reply === "bigint") return `${reply}n`;
  return reply;
}

/** What {@link plainReply} makes of a status reply. */
export const plainStatus = (text: string) => ({ status: text });

/** What {@link plainReply} makes of an error reply. */
export const plainError = (message: string) => ({ error: message });

/** Runs setup commands (each must succeed), then returns the plain reply of the last one. */
export function runPlain(t: TestStore, ...commands: Arg[][]): unknown {
  for (const c of commands.slice(0, -1)) t.ok(...c);
  return plainReply(t.run(...(commands.at(-1) as Arg[])));
}

/** The value stored at `key` (undefined when missing or expired), read without a command. */
export function peek(t: TestStore, key: Bytes): Value | undefined {
  return t.store.repository.atomic(null, t.clock.now(), (view) => view.lookup(key)) as Value | undefined;
}

/** Whether `key` holds a value, read without a command. */
export function exists(t: TestStore, key: Bytes): boolean {
  return peek(t, key) !== undefined;
}

/** Stores `value` at `key` without a command (a string for WRONGTYPE, a hand-made container). */
export function putRaw(t: TestStore, key: Bytes, value: Value): void {
  t.store.repository.atomic(null, t.clock.now(), (view) => view.put(key, value));
}

/** The deadline of `key` (ms since the epoch; undefined without a TTL), read without a command. */
export function deadlineOf(t: TestStore, key: Bytes): number | undefined {
  return t.store.repository.atomic(null, t.clock.now(), (view) => view.expireAt(key)) as number | undefined;
}

/** Gives `key` a deadline `ms` from now, without a command, and returns it. */
export function expireIn(t: TestStore, key: Bytes, ms: number): number {
  const at = t.clock.now() + ms;
  t.store.repository.atomic(null, t.clock.now(), (view) => view.setExpireAt(key, at));
  return at;
}

/** The recorded events as `[class, event, key]` triples. */
export function eventTriples(t: TestStore): [string, string, string][] {
  return t.events.map((e) => [e.class, e.event, e.key]);
}

/** The store's in-memory keyspace (the Map engine's {@link LocalKeyspace}); throws for a remote engine. */
export function localOf(store: Store): LocalKeyspace {
  const local = store.repository.local;
  if (local === undefined) throw new TypeError("this store's engine has no local keyspace");
  return local;
}
