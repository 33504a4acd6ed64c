/**
 * Quick interleaved measurement of the core GET/SET entry points (issue 18): `execSync`, `run` and
 * the typed `get`/`set` against the keyspace's table alone (`OpenKeyTable`, as the Map engine's)
 * and a bare `Map`, in one process that holds only these: 1M pre-loaded `key:%08d` keys read (or
 * overwritten with the same value) in a seeded shuffled order, every target once per round, the
 * first target rotating, CPU time per operation (the process's, GC included). It prints each
 * target's median with its ratio to the Map and to the table of the same run, and every round.
 *
 * For an A/B between two commits, bundle this file at each and run the two bundles alternately
 * (A, B, A, B: one variant per process, so neither's heap lies in the other's way):
 *
 *   npx esbuild test/bench/get-ab.ts --bundle --platform=node --format=esm --packages=external --outfile=dist/get-ab.mjs
 *   node dist/get-ab.mjs [--keys=1000000] [--ops=500000] [--rounds=7] [--op=get|set] [--json]
 */
import { createStore, type Store } from "../../shared/index.js";
import { OpenKeyTable } from "../../shared/store/key-table-open.js";

const flag = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const KEYS = Number(flag("keys", "1000000"));
const OPS = Number(flag("ops", "500000"));
const ROUNDS = Number(flag("rounds", "7"));
const VALUE = "vvvvvvvv";
const OP = flag("op", "get");
if (OP !== "get" && OP !== "set") throw new Error("--op is get or set");

/** Runs `n` operations from offset `start` of `keys`; returns how many replied non-null (must be `n`). */
type Loop = (keys: readonly string[], start: number, n: number) => number;

// One function literal per loop: closures of one literal share type feedback in V8, so a shared
// loop serving several targets would see several callees at one call site and inline none.
function getLoops(store: Store): [string, Loop][] {
  return [
    [
      "typed",
      (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.get(keys[(start + i) % m] as string) !== null) hits++;
        return hits;
      },
    ],
    [
      "run",
      (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.run(["GET", keys[(start + i) % m] as string]) !== null) hits++;
        return hits;
      },
    ],
    [
      "execSync",
      (keys, start, n) => {
        const m = keys.length;
        let hits = 0;
        for (let i = 0; i < n; i++) if (store.execSync(["GET", keys[(start + i) % m] as string]) !== null) hits++;
        return hits;
      },
    ],
  ];
}

function setLoops(store: Store): [string, Loop][] {
  return [
    [
      "typed",
      (keys, start, n) => {
        const m = keys.length;
        let ok = 0;
        for (let i = 0; i < n; i++) if (store.set(keys[(start + i) % m] as string, VALUE) !== null) ok++;
        return ok;
      },
    ],
    [
      "run",
      (keys, start, n) => {
        const m = keys.length;
        let ok = 0;
        for (let i = 0; i < n; i++) if (store.run(["SET", keys[(start + i) % m] as string, VALUE]) !== null) ok++;
        return ok;
      },
    ],
    [
      "execSync",
      (keys, start, n) => {
        const m = keys.length;
        let ok = 0;
        for (let i = 0; i < n; i++) if (store.execSync(["SET", keys[(start + i) % m] as string, VALUE]) !== null) ok++;
        return ok;
      },
    ],
  ];
}

function tableLoop(table: OpenKeyTable<string>): Loop {
  if (OP === "set") {
    return (keys, start, n) => {
      const m = keys.length;
      for (let i = 0; i < n; i++) table.set(keys[(start + i) % m] as string, VALUE);
      return n;
    };
  }
  return (keys, start, n) => {
    const m = keys.length;
    let hits = 0;
    for (let i = 0; i < n; i++) if (table.get(keys[(start + i) % m] as string) !== undefined) hits++;
    return hits;
  };
}

function mapLoop(map: Map<string, string>): Loop {
  if (OP === "set") {
    return (keys, start, n) => {
      const m = keys.length;
      for (let i = 0; i < n; i++) map.set(keys[(start + i) % m] as string, VALUE);
      return n;
    };
  }
  return (keys, start, n) => {
    const m = keys.length;
    let hits = 0;
    for (let i = 0; i < n; i++) if (map.get(keys[(start + i) % m] as string) !== undefined) hits++;
    return hits;
  };
}

function main(): void {
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${i.toString().padStart(8, "0")}`);
  // Loaded in the in-process bench's order: the store first (through execSync), then the table, then the Map.
  const store = createStore();
  for (const k of keys) store.execSync(["SET", k, VALUE]);
  const table = new OpenKeyTable<string>();
  for (const k of keys) table.set(k, VALUE);
  const map = new Map<string, string>();
  for (const k of keys) map.set(k, VALUE);
  const targets: [string, Loop][] = [
    ...(OP === "set" ? setLoops(store) : getLoops(store)),
    ["KeyTable", tableLoop(table)],
    ["Map", mapLoop(map)],
  ];
  // The in-process bench's seeded shuffle (mulberry32 Fisher–Yates): random access, not insertion order.
  const access = [...keys];
  let a = 0x5eed;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = access.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [access[i], access[j]] = [access[j] as string, access[i] as string];
  }
  const nsPerOp = new Map<string, number[]>(targets.map(([name]) => [name, []]));
  let offset = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let t = 0; t < targets.length; t++) {
      const [name, loop] = targets[(t + round) % targets.length] as [string, Loop];
      const c0 = process.cpuUsage();
      const replied = loop(access, offset, OPS);
      const cpu = process.cpuUsage(c0);
      if (replied !== OPS) throw new Error(`${name}: ${replied} replies of ${OPS}`);
      (nsPerOp.get(name) as number[]).push(((cpu.user + cpu.system) * 1000) / OPS);
    }
    offset = (offset + OPS) % KEYS;
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((x, y) => x - y);
    return s[s.length >> 1] as number;
  };
  const mapNs = median(nsPerOp.get("Map") as number[]);
  const tableNs = median(nsPerOp.get("KeyTable") as number[]);
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ op: OP, nsPerOp: Object.fromEntries(nsPerOp) })}\n`);
    return;
  }
  for (const [name, xs] of nsPerOp) {
    const m = median(xs);
    const rounds = xs.map((x) => x.toFixed(0)).join(" ");
    console.log(
      `${OP.toUpperCase()} ${name.padEnd(9)} ${m.toFixed(0).padStart(5)} ns/op  ${(mapNs / m).toFixed(2)}x Map  ${(tableNs / m).toFixed(2)}x table  [${rounds}]`,
    );
  }
}

main();
