/**
 * Damaged files: a byte flipped anywhere in a log or a snapshot costs at most the damaged
 * record(s) — the frame (one turn) in a log, the key in a snapshot — the damaged file is kept aside
 * untouched, and the load says what it skipped. A torn tail is cut. Loading streams in chunks.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createManualClock } from "../../shared/store/clock.js";
import { createStore } from "../../shared/store/store.js";
import { localOf } from "../../shared/store/testing.js";
import { RecordWriter } from "./codec.js";
import { storeDigest } from "./digest.js";
import {
  FilePersistence,
  type FilePersistenceOptions,
  PersistenceError,
  type PersistenceLogger,
} from "./file-persistence.js";
import { FRAME_HEADER_BYTES, MAGIC_BYTES } from "./frames.js";

const root = mkdtempSync(join(tmpdir(), "mem-corrupt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

const T0 = 1_700_000_000_000;

async function open(dir: string, options: Partial<FilePersistenceOptions> = {}) {
  const clock = createManualClock(T0);
  const store = createStore({ clock });
  const repo = localOf(store);
  const lines: string[] = [];
  const logger: PersistenceLogger = {
    info: () => {},
    warn: (_o, m) => lines.push(m),
    error: (_o, m) => lines.push(m),
  };
  const p = new FilePersistence(repo, { dir, now: () => clock.now(), logger, ...options });
  const report = await p.load();
  return { store, repo, p, report, lines };
}

/** Reads the frame boundaries of a format-2 file (offsets of each frame's first byte, and the end). */
function frameOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  let at = MAGIC_BYTES;
  while (at < bytes.length) {
    offsets.push(at);
    at += FRAME_HEADER_BYTES + bytes.readUInt32BE(at + 4);
  }
  offsets.push(at);
  return offsets;
}

/** A log of 90 keys written in frames of 1–3 keys (one frame per turn); returns what each frame holds. */
async function writeLog(): Promise<{
  dir: string;
  file: string;
  expected: Map<string, string>;
  frameKeys: string[][];
}> {
  const dir = freshDir();
  const a = await open(dir, { fsync: "no" });
  a.p.start();
  const expected = new Map<string, string>();
  const frameKeys: string[][] = [];
  for (let i = 0; i < 45; ) {
    const group: string[] = [];
    for (let j = 0; j < 1 + (i % 3) && i < 45; j++, i++) {
      const key = `key:${i}`;
      const value = `value-${i}-${"v".repeat(i % 17)}`;
      a.store.execSync(["SET", key, value]);
      expected.set(key, value);
      group.push(key);
    }
    await a.p.durable();
    frameKeys.push(group);
  }
  await a.p.close();
  const file = join(dir, "log-1.log");
  return { dir, file, expected, frameKeys };
}

/** Loads a copy of `dir` with `mutate` applied to `name`; returns the loaded store and report. */
async function loadMutated(
  dir: string,
  name: string,
  mutate: (b: Buffer) => Buffer,
  options: Partial<FilePersistenceOptions> = {},
) {
  const copy = freshDir();
  for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(copy, f));
  const damaged = mutate(readFileSync(join(copy, name)));
  writeFileSync(join(copy, name), damaged);
  const loaded = await open(copy, options);
  return { ...loaded, copy, damaged };
}

const flip =
  (at: number, mask = 0x5a) =>
  (b: Buffer): Buffer => {
    b[at] = (b[at] as number) ^ mask;
    return b;
  };

/** Positions to flip: every header byte of a few frames, and a spread over the whole file. */
function positions(size: number, offsets: number[]): number[] {
  const set = new Set<number>();
  for (let i = 0; i < MAGIC_BYTES; i++) set.add(i);
  for (const f of [offsets[0], offsets[5], offsets.at(-2)] as number[])
    for (let i = 0; i < FRAME_HEADER_BYTES + 2; i++) set.add(f + i);
  for (let at = 0; at < size; at += 13) set.add(at);
  set.add(size - 1);
  return [...set].filter((p) => p < size).sort((a, b) => a - b);
}

describe.each([
  ["default chunks", undefined],
  ["64-byte chunks (frames straddle reads)", 64],
])("a flipped byte anywhere in a log (%s)", (_name, loadChunkBytes) => {
  it("loses at most the keys of the damaged frame, keeps the file aside and says so", async () => {
    const { dir, file, expected, frameKeys } = await writeLog();
    const clean = readFileSync(file);
    const offsets = frameOffsets(clean);
    expect(offsets.length - 1).toBe(frameKeys.length);
    for (const at of positions(clean.length, offsets)) {
      const b = await loadMutated(dir, "log-1.log", flip(at), { loadChunkBytes });
      const frame = offsets.findIndex((o, i) => at >= o && at < (offsets[i + 1] ?? Infinity));
      const mayLose = new Set(frame >= 0 ? frameKeys[frame] : []);
      for (const [k, v] of expected) {
        const got = await b.store.exec(["GET", k]);
        if (!mayLose.has(k)) expect(got, `flip at ${at}: ${k}`).toBe(v);
        else expect([v, null], `flip at ${at}: ${k}`).toContain(got);
      }
      // The damaged file is kept aside, byte for byte, and one line says what was skipped.
      const aside = readdirSync(b.copy).filter((f) => f.startsWith("log-1.log.corrupt-"));
      expect(aside, `flip at ${at}`).toHaveLength(1);
      expect(readFileSync(join(b.copy, aside[0] as string)).equals(b.damaged)).toBe(true);
      expect(b.report.dropped.length).toBeGreaterThan(0);
      expect(b.lines.filter((l) => /skipped \d+ damaged region/.test(l))).toHaveLength(1);
      rmSync(b.copy, { recursive: true });
    }
  }, 60_000);
});

describe("a flipped byte anywhere in a snapshot", () => {
  it("loses nothing (the logs from the first are kept until a second snapshot), keeps the file aside, and a fresh snapshot replaces it", async () => {
    const dir = freshDir();
    const a = await open(dir, { snapshotSliceKeys: 7 });
    a.p.start();
    const expected = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      a.store.execSync(["SET", `s:${i}`, `snap-${i}`]);
      expected.set(`s:${i}`, `snap-${i}`);
    }
    a.store.execSync(["RPUSH", "list", "a", "b", "c"]);
    await a.p.snapshot();
    await a.p.close();
    const name = readdirSync(dir).find((f) => f.endsWith(".snap")) as string;
    const clean = readFileSync(join(dir, name));
    const offsets = frameOffsets(clean);
    for (const at of positions(clean.length, offsets)) {
      const b = await loadMutated(dir, name, flip(at));
      let lost = 0;
      for (const [k, v] of expected) if ((await b.store.exec(["GET", k])) !== v) lost++;
      if ((await b.store.exec(["LLEN", "list"])) !== 3) lost++;
      expect(lost, `flip at ${at}`).toBe(0);
      expect(
        readdirSync(b.copy).filter((f) => f.includes(".corrupt-")),
        `flip at ${at}`,
      ).toHaveLength(1);
      expect(b.lines.some((l) => /skipped \d+ damaged region/.test(l))).toBe(true);
      if (at === Math.floor(clean.length / 2)) {
        // Started, the server writes a fresh snapshot; the next start is clean and identical.
        b.p.start();
        await new Promise((r) => setTimeout(r, 50));
        await b.p.snapshot();
        const digest = storeDigest(b.repo, T0);
        await b.p.close();
        const c = await open(b.copy, { onCorrupt: "refuse" });
        expect(storeDigest(c.repo, T0)).toEqual(digest);
      }
      rmSync(b.copy, { recursive: true });
    }
  }, 60_000);
});

/**
 * Two generations: snapshot A, then writes (overwrites, deletes, new keys, deadlines), snapshot B
 * taken while writes continue, then more writes. Returns the dir and the digest of the clean
 * state (what every load must reproduce).
 */
async function twoGenerations(): Promise<{ dir: string; digest: { keys: number; crc: number }; files: string[] }> {
  const dir = freshDir();
  const a = await open(dir, { snapshotSliceKeys: 5 });
  a.p.start();
  for (let i = 0; i < 40; i++) a.store.execSync(["SET", `g:${i}`, `first-${i}`]);
  a.store.execSync(["HSET", "h", "f1", "v1", "f2", "v2"]);
  await a.p.snapshot();
  for (let i = 0; i < 40; i += 3) a.store.execSync(["SET", `g:${i}`, `second-${i}`]);
  a.store.execSync(["DEL", "g:1", "g:2"]);
  a.store.execSync(["PEXPIREAT", "g:4", String(T0 + 3_600_000)]);
  const snap = a.p.snapshot();
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setImmediate(r));
    a.store.execSync(["SET", `during:${i}`, "x"]);
    a.store.execSync(["SET", `g:${10 + i}`, `during-${i}`]);
  }
  await snap;
  a.store.execSync(["SET", "after", "1"]);
  a.store.execSync(["DEL", "g:20"]);
  const digest = storeDigest(a.repo, T0);
  await a.p.close();
  return { dir, digest, files: readdirSync(dir).sort() };
}

describe("a damaged newest snapshot falls back to the previous generation", () => {
  it("keeps the previous snapshot and the logs since it until the next snapshot", async () => {
    const { files } = await twoGenerations();
    // snapshot-2 (the first), snapshot-3 (the newest), the logs from 2 on; log-1 is compacted.
    expect(files).toEqual(["log-2.log", "log-3.log", "snapshot-2.snap", "snapshot-3.snap"]);
  });

  it("a flip anywhere, a cut or a lost end marker in the newest snapshot loses nothing acknowledged", async () => {
    const { dir, digest } = await twoGenerations();
    const clean = readFileSync(join(dir, "snapshot-3.snap"));
    const offsets = frameOffsets(clean);
    const mutations: [string, (b: Buffer) => Buffer][] = positions(clean.length, offsets).map((at) => [
      `flip at ${at}`,
      flip(at),
    ]);
    mutations.push(["cut in half", (b) => b.subarray(0, b.length >> 1)]);
    mutations.push(["end marker cut", (b) => b.subarray(0, offsets.at(-2) as number)]);
    mutations.push(["emptied", () => Buffer.alloc(0)]);
    for (const [what, mutate] of mutations) {
      for (const onCorrupt of ["skip", "refuse"] as const) {
        const b = await loadMutated(dir, "snapshot-3.snap", mutate, { onCorrupt });
        expect(storeDigest(b.repo, T0), `${what} (${onCorrupt})`).toEqual(digest);
        // The damaged snapshot is moved aside untouched; one line says where the keys came from.
        const aside = readdirSync(b.copy).filter((f) => f.startsWith("snapshot-3.snap.corrupt-"));
        expect(aside, what).toHaveLength(1);
        expect(readdirSync(b.copy)).not.toContain("snapshot-3.snap");
        expect(b.report.damage[0]?.recoveredFrom, what).toMatch(/snapshot-2\.snap$/);
        expect(b.report.damage[0]?.skippedKeys, what).toBe(0);
        // Started, a fresh snapshot is written; the next start is clean and identical, and the
        // previous good generation is still there until the snapshot after it.
        if (what === "cut in half" && onCorrupt === "skip") {
          b.p.start();
          await b.p.snapshot();
          await b.p.close();
          expect(readdirSync(b.copy).filter((f) => f.endsWith(".snap"))).toEqual([
            "snapshot-2.snap",
            "snapshot-5.snap",
          ]);
          const c = await open(b.copy, { onCorrupt: "refuse" });
          expect(storeDigest(c.repo, T0)).toEqual(digest);
          await c.p.close();
        }
        rmSync(b.copy, { recursive: true });
      }
    }
  }, 120_000);

  it("damage in both generations: a key is lost only if damaged in both, and refuse refuses", async () => {
    const { dir, digest } = await twoGenerations();
    const newest = readFileSync(join(dir, "snapshot-3.snap"));
    const older = readFileSync(join(dir, "snapshot-2.snap"));
    const no = frameOffsets(newest);
    const oo = frameOffsets(older);
    for (const [i, j] of [
      [3, 3],
      [5, 20],
      [0, 0],
    ] as const) {
      const copy = freshDir();
      for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(copy, f));
      writeFileSync(join(copy, "snapshot-3.snap"), flip((no[i] as number) + 20)(Buffer.from(newest)));
      writeFileSync(join(copy, "snapshot-2.snap"), flip((oo[j] as number) + 20)(Buffer.from(older)));
      await expect(open(copy, { onCorrupt: "refuse" })).rejects.toThrow(/snapshot-2\.snap/);
      const b = await open(copy);
      const got = storeDigest(b.repo, T0);
      expect(got.keys).toBeGreaterThanOrEqual(digest.keys - 1);
      expect(got.keys).toBeLessThanOrEqual(digest.keys);
      expect(b.lines.some((l) => /skipped \d+ damaged region/.test(l))).toBe(true);
      rmSync(copy, { recursive: true });
    }
  });
});

describe("torn tails and refusal", () => {
  it("a log cut at any byte of its last frame: the frame is cut off, nothing else is lost, nothing kept aside", async () => {
    const { dir, file, expected, frameKeys } = await writeLog();
    const clean = readFileSync(file);
    const offsets = frameOffsets(clean);
    const last = offsets.at(-2) as number;
    for (let cut = last + 1; cut < clean.length; cut += 3) {
      const b = await loadMutated(dir, "log-1.log", (x) => x.subarray(0, cut));
      for (const [k, v] of expected) if (!frameKeys.at(-1)?.includes(k)) expect(await b.store.exec(["GET", k])).toBe(v);
      expect(readdirSync(b.copy).some((f) => f.includes(".corrupt-"))).toBe(false);
      expect(statSync(join(b.copy, "log-1.log")).size).toBe(last);
      rmSync(b.copy, { recursive: true });
    }
  });

  it("refuse stops the start on any damage and changes nothing on disk", async () => {
    const { file } = await writeLog();
    const clean = readFileSync(file);
    const at = Math.floor(clean.length / 2);
    const copy = freshDir();
    const damaged = flip(at)(Buffer.from(clean));
    writeFileSync(join(copy, "log-1.log"), damaged);
    await expect(open(copy, { onCorrupt: "refuse" })).rejects.toThrow(PersistenceError);
    await expect(open(copy, { onCorrupt: "refuse" })).rejects.toThrow(/log-1\.log: .* at offset \d+/);
    expect(readdirSync(copy)).toEqual(["log-1.log"]);
    expect(readFileSync(join(copy, "log-1.log")).equals(damaged)).toBe(true);
  });
});

describe("streaming load", () => {
  it("loads values larger than the read chunk and many frames across chunk boundaries identically", async () => {
    const dir = freshDir();
    const a = await open(dir, { snapshotSliceKeys: 5 });
    a.p.start();
    const big = Array.from({ length: 70_000 }, (_, i) => String.fromCharCode(32 + (i % 90))).join("");
    a.store.execSync(["SET", "big", big]);
    for (let i = 0; i < 300; i++) {
      a.store.execSync(["HSET", `h:${i % 20}`, `f${i}`, `v${i}`]);
      if (i % 7 === 0) await a.p.durable();
    }
    await a.p.snapshot();
    a.store.execSync(["SET", "after", big.slice(100)]);
    await a.p.close();
    const ref = await open(dir);
    const digest = storeDigest(ref.repo, T0);
    for (const chunk of [16, 100, 4096]) {
      const b = await open(dir, { loadChunkBytes: chunk });
      expect(storeDigest(b.repo, T0)).toEqual(digest);
      expect(b.report.dropped).toEqual([]);
    }
    expect(await ref.store.exec(["STRLEN", "big"])).toBe(70_000);
  });

  it("loads format-1 files (the previous format) and rewrites them in the current one", async () => {
    // A format-1 log: "MEMLOG01", then frames `u32 length | u32 CRC-32 | payload`.
    const w = new RecordWriter();
    const payloads: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      w.keyState(`old:${i}`, `v${i}`, i === 0 ? T0 + 60_000 : undefined);
      payloads.push(w.take());
    }
    const { crc32 } = await import("node:zlib");
    const parts = [Buffer.from("MEMLOG01")];
    for (const p of payloads) {
      const h = Buffer.alloc(8);
      h.writeUInt32BE(p.length, 0);
      h.writeUInt32BE(crc32(p) >>> 0, 4);
      parts.push(h, Buffer.from(p));
    }
    const dir = freshDir();
    writeFileSync(join(dir, "log-3.log"), Buffer.concat(parts));
    const a = await open(dir);
    expect(await a.store.exec(["MGET", "old:0", "old:4"])).toEqual(["v0", "v4"]);
    expect(await a.store.exec(["PTTL", "old:0"])).toBe(60_000);
    a.p.start();
    await new Promise((r) => setTimeout(r, 100));
    await a.p.snapshot();
    await a.p.close();
    expect(readdirSync(dir).some((f) => f === "log-3.log")).toBe(false);
    const b = await open(dir, { onCorrupt: "refuse" });
    expect(await b.store.exec(["GET", "old:4"])).toBe("v4");
  });

  it("keeps the type code of a record whose value outgrows the writer's buffer", () => {
    const w = new RecordWriter(16);
    w.keyState("k", "x".repeat(1000), undefined);
    expect(w.take()[0]).toBe(2); // STRING, written after the body reallocated the buffer
  });
});
