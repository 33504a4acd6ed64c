import { LRUCache } from "lru-cache";
import { createStore, type Store } from "../../shared/index.js";
import { OpenKeyTable } from "../../shared/store/key-table-open.js";
import type { Sample } from "./stats.js";

/** Sizes of the in-process workload. */
export interface InProcessOptions {
  /** Distinct keys (the keyspace is pre-loaded with all of them). */
  readonly keys: number;
  /** Operations per timed segment. */
  readonly opsPerSegment: number;
  /** Rounds: every (op, target) runs once per round, interleaved. */
  readonly rounds: number;
  /** Ops to run (a subset of {@link IN_PROCESS_OPS}, in that order). @default all of them */
  readonly ops?: readonly string[];
  /** Called before each segment (progress line). */
  readonly onProgress?: (what: string) => void;
}

const VALUE = "vvvvvvvv";
const TTL_MS = 3_600_000;

/** One target: a name and, per op, a loop running `n` operations from key offset `start`. */
interface Target {
  readonly name: string;
  readonly ops: Partial<Record<string, (keys: readonly string[], start: number, n: number) => void>>;
}

function coreTargets(): Target[] {
  const loaded: Store = createStore();
  // INCR, HSET and ZADD run on a store of their own: their keys (1M counters `n…`) would otherwise
  // double the keyspace GET and SET see, while the Map and lru-cache keep 1M keys.
  const other: Store = createStore();
  const exec: Target = {
    name: "core execSync",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) loaded.execSync(["SET", keys[(start + i) % m] as string, VALUE]);
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) loaded.execSync(["GET", keys[(start + i) % m] as string]);
      },
      INCR: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) other.execSync(["INCR", `n${keys[(start + i) % m] as string}`]);
      },
      HSET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) other.execSync(["HSET", "h", keys[(start + i) % m] as string, VALUE]);
      },
      ZADD: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++)
          other.execSync(["ZADD", "z", String((start + i) % 1000), keys[(start + i) % m] as string]);
      },
    },
  };
  // store.run takes argv already in byte form: ASCII keys are their own bytes, so no conversion.
  const run: Target = {
    name: "core run",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) loaded.run(["SET", keys[(start + i) % m] as string, VALUE]);
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) loaded.run(["GET", keys[(start + i) % m] as string]);
      },
    },
  };
  // The typed API: store.get/set, the same commands without name resolution or argv conversion.
  const typed: Target = {
    name: "core typed",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) loaded.set(keys[(start + i) % m] as string, VALUE);
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) loaded.get(keys[(start + i) % m] as string);
      },
    },
  };
  return [exec, run, typed];
}

function mapTarget(): Target {
  const map = new Map<string, string>();
  return {
    name: "Map",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) map.set(keys[(start + i) % m] as string, VALUE);
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (map.get(keys[(start + i) % m] as string) !== undefined) hits++;
        if (hits < 0) throw new Error("unreachable"); // keeps the loop observable
      },
    },
  };
}

/**
 * The keyspace's table alone (`OpenKeyTable`: open addressing in segments of at most 8000 slots),
 * without any store code. Its distance to `Map` is what bounding every rehash costs a lookup; the
 * distance from it to `core typed` is the store's own path.
 */
function openTableTarget(): Target {
  const table = new OpenKeyTable<string>();
  return {
    name: "OpenKeyTable (keyspace)",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) table.set(keys[(start + i) % m] as string, VALUE);
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (table.get(keys[(start + i) % m] as string) !== undefined) hits++;
        if (hits < 0) throw new Error("unreachable");
      },
    },
  };
}

/** A minimal store around an {@link OpenKeyTable}: counts the command and the keyspace hit, no more. */
class CountingTable {
  commands = 0;
  hits = 0;
  private readonly table = new OpenKeyTable<string>();

  get(key: string): string | null {
    this.commands++;
    const v = this.table.get(key);
    if (v === undefined) return null;
    this.hits++;
    return v;
  }

  set(key: string, value: string): string {
    this.commands++;
    const before = this.table.size;
    this.table.set(key, value);
    if (this.table.size === before) this.hits++;
    return "OK";
  }
}

/**
 * The least any store adds to its table (issue 18): the same `OpenKeyTable` behind a class that counts
 * the command and the hit (INFO's counters), called as `store.get`/`set` are. The distance from
 * `OpenKeyTable (keyspace)` to here is what any wrapper costs; from here to `core typed`, the store's own
 * path (expiry, observer, WATCH and event checks, limits).
 */
function countingTableTarget(): Target {
  const store = new CountingTable();
  return {
    name: "OpenKeyTable + counters",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) store.set(keys[(start + i) % m] as string, VALUE);
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.get(keys[(start + i) % m] as string) !== null) hits++;
        if (hits < 0) throw new Error("unreachable");
      },
    },
  };
}

/**
 * Floor probes (issue 18): bounded lanes with the cheapest lane choice there is for these keys —
 * `Map`s indexed directly by the last `bytes` bytes of `key:%08d` (6 bits each, one flat array, no
 * tree, no hash), so only the lanes themselves cost. 2 bytes: 100 lanes of 10k keys at 1M (their
 * 16384-entry tables 61 % full: +16 B per key, over Redis's memory). 3 bytes: 1000 lanes of 1000
 * keys (98 % full: the memory per key of session 6–9's `KeyTable` lanes). Not a general structure: other key shapes
 * would need other bytes; it bounds what any lane layout with that memory can reach.
 */
function flatLanesTarget(bytes: 2 | 3): Target {
  // Two copies of the same loops, one per width: closures made from one function literal share
  // their type feedback in V8, so one pair of loops serving both widths would see two index
  // functions at one call site and inline neither (measured: 0.55x instead of ~1.0x for 2 bytes).
  return bytes === 2 ? flatLanes2() : flatLanes3();
}

function flatLanes2(): Target {
  const empty = new Map<string, string>();
  const lanes = new Array<Map<string, string>>(1 << 12).fill(empty);
  return {
    name: "Map lanes by 2 key bytes",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) {
          const key = keys[(start + i) % m] as string;
          const k = key.length;
          const s = ((key.charCodeAt(k - 1) & 63) << 6) | (key.charCodeAt(k - 2) & 63);
          let lane = lanes[s] as Map<string, string>;
          if (lane === empty) lane = lanes[s] = new Map();
          lane.set(key, VALUE);
        }
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) {
          const key = keys[(start + i) % m] as string;
          const k = key.length;
          const s = ((key.charCodeAt(k - 1) & 63) << 6) | (key.charCodeAt(k - 2) & 63);
          if ((lanes[s] as Map<string, string>).get(key) !== undefined) hits++;
        }
        if (hits < 0) throw new Error("unreachable");
      },
    },
  };
}

function flatLanes3(): Target {
  const empty = new Map<string, string>();
  const lanes = new Array<Map<string, string>>(1 << 18).fill(empty);
  return {
    name: "Map lanes by 3 key bytes",
    ops: {
      SET: (keys, start, n) => {
        const m = keys.length;
        for (let i = 0; i < n; i++) {
          const key = keys[(start + i) % m] as string;
          const k = key.length;
          const s =
            ((key.charCodeAt(k - 1) & 63) << 12) | ((key.charCodeAt(k - 2) & 63) << 6) | (key.charCodeAt(k - 3) & 63);
          let lane = lanes[s] as Map<string, string>;
          if (lane === empty) lane = lanes[s] = new Map();
          lane.set(key, VALUE);
        }
      },
      GET: (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) {
          const key = keys[(start + i) % m] as string;
          const k = key.length;
          const s =
            ((key.charCodeAt(k - 1) & 63) << 12) | ((key.charCodeAt(k - 2) & 63) << 6) | (key.charCodeAt(k - 3) & 63);
          if ((lanes[s] as Map<string, string>).get(key) !== undefined) hits++;
        }
        if (hits < 0) throw new Error("unreachable");
      },
    },
  };
}

function lruTarget(keys: number): Target {
  const cache = new LRUCache<string, string>({ max: keys * 2, ttl: TTL_MS });
  return {
    name: "lru-cache TTL",
    ops: {
      SET: (ks, start, n) => {
        const m = ks.length;
        for (let i = 0; i < n; i++) cache.set(ks[(start + i) % m] as string, VALUE);
      },
      GET: (ks, start, n) => {
        const m = ks.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (cache.get(ks[(start + i) % m] as string) !== undefined) hits++;
        if (hits < 0) throw new Error("unreachable");
      },
    },
  };
}

/** Ops in the order they run within a round. */
export const IN_PROCESS_OPS = ["SET", "GET", "INCR", "HSET", "ZADD"] as const;

/**
 * Core commands vs a bare `Map` and lru-cache (with a TTL), in one process, interleaved: each round
 * runs every op on every target in turn, with the same keys. Every target is pre-loaded with all
 * keys first, so GET hits and SET overwrites.
 */
export function runInProcess(options: InProcessOptions): Sample[] {
  const keys = Array.from({ length: options.keys }, (_, i) => `key:${i.toString().padStart(8, "0")}`);
  const targets = [
    ...coreTargets(),
    openTableTarget(),
    countingTableTarget(),
    flatLanesTarget(2),
    flatLanesTarget(3),
    mapTarget(),
    lruTarget(options.keys),
  ];
  for (const t of targets) t.ops.SET?.(keys, 0, keys.length);
  // Access the keys in a shuffled order (the same for every target): a real workload's keys are not
  // read in insertion order, and insertion-order reads walk a Map's entry table sequentially, which
  // flatters any single Map with cache hits no keyspace sees (DESIGN.md's 1.9M ops/s for a Map at
  // 1M keys is random access).
  const access = shuffled(keys, 0x5eed);
  const samples: Sample[] = [];
  let offset = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const op of IN_PROCESS_OPS) {
      if (options.ops !== undefined && !options.ops.includes(op)) continue;
      // Rotate the starting target each round so no target always runs right after a GC-heavy one.
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
      for (const t of order) {
        const fn = t.ops[op];
        if (!fn) continue;
        options.onProgress?.(`in-process ${op} ${t.name} (round ${round + 1}/${options.rounds})`);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        fn(access, offset, options.opsPerSegment);
        const seconds = (performance.now() - t0) / 1000;
        // CPU time of this process (the loop, its GC): unlike wall time, not inflated while a busy
        // host runs other processes instead of this one — the steadier figure on a shared machine.
        const cpu = process.cpuUsage(c0);
        const serverCpuMs = (cpu.user + cpu.system) / 1000;
        samples.push({
          group: "in-process",
          op,
          target: t.name,
          round,
          ops: options.opsPerSegment,
          seconds,
          serverCpuMs,
        });
      }
      offset = (offset + options.opsPerSegment) % keys.length;
    }
  }
  return samples;
}

/** A copy of `items` in a seeded random order (Fisher–Yates with mulberry32), reproducible across runs. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
