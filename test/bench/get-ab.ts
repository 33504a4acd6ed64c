/**
 * Quick interleaved A/B of the core GET paths against lru-cache (with a TTL), the in-process
 * bench's GET row in small: 1M pre-loaded 12-byte keys read in a shuffled order, every target once
 * per round, the first target rotating. With `--base=<dir>` (a copy of `shared/` from another
 * commit, e.g. `git archive HEAD shared | tar -x -C .bench/ab-base`) the same paths run on that
 * copy too, so old and new code are compared in one process; `--map` adds a bare `Map`.
 * `--op=set` runs the SET paths instead (overwrites of the pre-loaded keys, same value).
 *
 *   npx tsx test/bench/get-ab.ts [--keys=1000000] [--ops=500000] [--rounds=7] [--base=.bench/ab-base] [--map] [--op=set]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { LRUCache } from "lru-cache";
import { createStore as createCurrent, type Store } from "../../shared/index.js";

const flag = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const KEYS = Number(flag("keys", "1000000"));
const OPS = Number(flag("ops", "500000"));
const ROUNDS = Number(flag("rounds", "7"));
const BASE = flag("base", "");
const VALUE = "vvvvvvvv";
const OP = flag("op", "get");
if (OP !== "get" && OP !== "set") throw new Error("--op is get or set");

type Loop = (keys: readonly string[], start: number, n: number) => number;

function storeLoops(label: string, store: Store): [string, Loop][] {
  if (OP === "set") return storeSetLoops(label, store);
  return [
    [
      `${label} typed get`,
      (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.get(keys[(start + i) % m] as string) !== null) hits++;
        return hits;
      },
    ],
    [
      `${label} run GET`,
      (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.run(["GET", keys[(start + i) % m] as string]) !== null) hits++;
        return hits;
      },
    ],
    [
      `${label} execSync GET`,
      (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.execSync(["GET", keys[(start + i) % m] as string]) !== null) hits++;
        return hits;
      },
    ],
  ];
}

/** The SET paths; a loop counts non-null replies (OK), so it must equal the operations. */
function storeSetLoops(label: string, store: Store): [string, Loop][] {
  return [
    [
      `${label} typed set`,
      (keys, start, n) => {
        const m = keys.length;
        let ok = 0;
        for (let i = 0; i < n; i++) if (store.set(keys[(start + i) % m] as string, VALUE) !== null) ok++;
        return ok;
      },
    ],
    [
      `${label} run SET`,
      (keys, start, n) => {
        const m = keys.length;
        let ok = 0;
        for (let i = 0; i < n; i++) if (store.run(["SET", keys[(start + i) % m] as string, VALUE]) !== null) ok++;
        return ok;
      },
    ],
    [
      `${label} execSync SET`,
      (keys, start, n) => {
        const m = keys.length;
        let ok = 0;
        for (let i = 0; i < n; i++) if (store.execSync(["SET", keys[(start + i) % m] as string, VALUE]) !== null) ok++;
        return ok;
      },
    ],
  ];
}

async function main(): Promise<void> {
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${i.toString().padStart(8, "0")}`);
  const targets: [string, Loop][] = [];
  const stores: Store[] = [];
  const current = createCurrent();
  stores.push(current);
  targets.push(...storeLoops("new", current));
  if (BASE !== "") {
    const mod = (await import(pathToFileURL(resolve(BASE, "shared/index.ts")).href)) as {
      createStore: typeof createCurrent;
    };
    const base = mod.createStore();
    stores.push(base);
    targets.push(...storeLoops("old", base));
  }
  for (const s of stores) for (const k of keys) s.set(k, VALUE);
  const cache = new LRUCache<string, string>({ max: KEYS * 2, ttl: 3_600_000 });
  for (const k of keys) cache.set(k, VALUE);
  targets.push([
    "lru-cache TTL",
    (ks, start, n) => {
      const m = ks.length;
      let hits = 0;
      if (OP === "set") {
        for (let i = 0; i < n; i++) cache.set(ks[(start + i) % m] as string, VALUE);
        return n;
      }
      for (let i = 0; i < n; i++) if (cache.get(ks[(start + i) % m] as string) !== undefined) hits++;
      return hits;
    },
  ]);
  if (process.argv.includes("--map")) {
    const map = new Map<string, string>();
    for (const k of keys) map.set(k, VALUE);
    targets.push([
      "Map",
      (ks, start, n) => {
        const m = ks.length;
        let hits = 0;
        if (OP === "set") {
          for (let i = 0; i < n; i++) map.set(ks[(start + i) % m] as string, VALUE);
          return n;
        }
        for (let i = 0; i < n; i++) if (map.get(ks[(start + i) % m] as string) !== undefined) hits++;
        return hits;
      },
    ]);
  }
  // Same seeded shuffle idea as in-process.ts (random access, not insertion order).
  const access = [...keys];
  let a = 0x5eed;
  for (let i = access.length - 1; i > 0; i--) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    const j = a % (i + 1);
    [access[i], access[j]] = [access[j] as string, access[i] as string];
  }
  const rates = new Map<string, number[]>(targets.map(([name]) => [name, []]));
  let offset = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let t = 0; t < targets.length; t++) {
      const [name, loop] = targets[(t + round) % targets.length] as [string, Loop];
      const t0 = performance.now();
      const hits = loop(access, offset, OPS);
      const seconds = (performance.now() - t0) / 1000;
      if (hits !== OPS) throw new Error(`${name}: ${hits} hits of ${OPS}`);
      (rates.get(name) as number[]).push(OPS / seconds);
    }
    offset = (offset + OPS) % KEYS;
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((x, y) => x - y);
    return s[s.length >> 1] as number;
  };
  const lru = median(rates.get("lru-cache TTL") as number[]);
  for (const [name, xs] of rates) {
    const m = median(xs);
    console.log(`${name.padEnd(20)} ${(m / 1e6).toFixed(2)}M ops/s  ${(m / lru).toFixed(2)}x lru-cache`);
  }
}

await main();
