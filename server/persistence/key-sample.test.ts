import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createStore } from "../../shared/store/store.js";
import { localOf } from "../../shared/store/testing.js";
import { FilePersistence } from "./file-persistence.js";
import { MAGIC_BYTES } from "./frames.js";
import { sampleSnapshotKeys } from "./key-sample.js";

const dir = mkdtempSync(join(tmpdir(), "mem-key-sample-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sampleOf = (file: string): string[] => {
  const bytes = readFileSync(file);
  const fd = openSync(file, "r");
  try {
    return sampleSnapshotKeys(fd, bytes.length, MAGIC_BYTES);
  } finally {
    closeSync(fd);
  }
};

describe("sampleSnapshotKeys", () => {
  it("reads keys from across the whole snapshot, not from its start (which is one lane's)", async () => {
    const n = 40_000;
    const store = createStore({});
    const repo = localOf(store);
    const p = new FilePersistence(repo, { dir, fsync: "no" });
    await p.load();
    p.start();
    for (let i = 0; i < n; i++)
      store.execSync(["SET", `key:${i}`, `value:${i}`, ...(i % 3 === 0 ? ["PX", "99999999"] : [])]);
    await p.snapshot();
    await p.close();
    // The snapshot lists the keys in the table's order (lane by lane).
    const order = new Map([...repo.keys()].map((k, i) => [k, i]));
    const snap = join(dir, readdirSync(dir).find((f) => f.endsWith(".snap")) as string);
    const sample = sampleOf(snap);
    expect(sample.length).toBeGreaterThan(1000);
    const at = sample.map((k) => order.get(k));
    expect(at.every((i) => i !== undefined)).toBe(true);
    // Every twentieth of the file is represented.
    const bins = new Set(at.map((i) => Math.floor(((i as number) * 20) / n)));
    expect(bins.size).toBe(20);

    // Damage only makes the sample smaller: a run of marker bytes and garbage in the middle.
    const bytes = readFileSync(snap);
    const mid = bytes.length >> 1;
    for (let i = mid; i < mid + 20_000; i += 4)
      bytes.writeUInt32BE(i % 8 === 0 ? 0xd51ca7e3 : (i * 2654435761) >>> 0, i);
    writeFileSync(snap, bytes);
    const damaged = sampleOf(snap);
    expect(damaged.length).toBeGreaterThan(1000);
    expect(damaged.every((k) => order.has(k))).toBe(true);
  });

  it("finds nothing in bytes that hold no frame, and nothing in an empty file", () => {
    const file = join(dir, "noise.snap");
    const noise = Buffer.alloc(300_000);
    for (let i = 0; i < noise.length; i += 4)
      noise.writeUInt32BE(i % 64 === 0 ? 0xd51ca7e3 : (i * 2654435761) >>> 0, i);
    writeFileSync(file, noise);
    expect(sampleOf(file)).toEqual([]);
    writeFileSync(file, Buffer.alloc(MAGIC_BYTES));
    expect(sampleOf(file)).toEqual([]);
  });
});
