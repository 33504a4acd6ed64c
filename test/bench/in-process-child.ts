/**
 * Child process of the in-process part: runs {@link runInProcess} and prints its samples as one
 * JSON line.
 *
 *   node --allow-natives-syntax dist/bench-in-process-child.mjs <keys> <opsPerSegment> <rounds> [ops]
 *
 * `ops` (e.g. `GET,SET`) runs only those ops: an A/B of two commits' bundles, run alternately.
 *
 * Why a process of its own: the bench process loads ioredis, and ioredis 6 declares
 * `class VerbatimString extends String`. Making `String.prototype` the prototype of another object
 * turns it into a dictionary-mode object in V8, and from then on no `key.charCodeAt(i)` in the
 * process is inlined (a dictionary property load and a call instead: 2 reads went from ~3 to
 * ~50 ns). A bare `Map` reads no key byte, so only the rows that do (the keyspace table, the floor
 * probes, every core entry point) paid it: in the bench process the 2-byte floor probe read 0.56×
 * Map, and 1.0× in a process that loads what an embedded user loads (the store, lru-cache).
 * `stringPrototypeFast` in the result says which case a run was (null: not checked).
 */
import { runInProcess } from "./in-process.js";

const [keys = "1000000", ops = "500000", rounds = "5", only] = process.argv.slice(2);

/** Whether `String.prototype` still has fast properties (needs --allow-natives-syntax; null without). */
function stringPrototypeFast(): boolean | null {
  try {
    return new Function("return %HasFastProperties(String.prototype)")() as boolean;
  } catch {
    return null;
  }
}

const before = stringPrototypeFast();
const samples = runInProcess({
  keys: Number(keys),
  opsPerSegment: Number(ops),
  rounds: Number(rounds),
  ops: only === undefined ? undefined : only.split(","),
  onProgress: (what) => process.stderr.write(`${what}\n`),
});
const after = stringPrototypeFast();
process.stdout.write(
  `${JSON.stringify({ samples, stringPrototypeFast: before === null || after === null ? null : before && after })}\n`,
);
