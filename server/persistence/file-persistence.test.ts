import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock as manualClock } from "../../shared/store/clock.js";
import { createStore, type Store } from "../../shared/store/store.js";
import { localOf } from "../../shared/store/testing.js";
import { storeDigest } from "./digest.js";
import { FilePersistence, type FilePersistenceOptions, PersistenceError } from "./file-persistence.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mem-persist-"));
  dirs.push(d);
  return d;
}

const T0 = 1_700_000_000_000;

async function open(dir: string, options: Partial<FilePersistenceOptions> = {}, now = T0) {
  const clock = manualClock(now);
  const store: Store = createStore({ clock });
  const repo = localOf(store);
  const p = new FilePersistence(repo, { dir, now: () => clock.now(), ...options });
  const report = await p.load();
  p.start();
  return { store, repo, p, report, clock };
}

async function fill(store: Store): Promise<void> {
  await store.exec(["SET", "s", "hello\x00\xff"]);
  await store.exec(["SET", "ttl", "v", "PX", "5000"]);
  await store.exec(["RPUSH", "l", "a", "b", "c"]);
  await store.exec(["HSET", "h", "f1", "v1", "f2", "v2"]);
  await store.exec(["SADD", "set", "x", "y", "z"]);
  await store.exec(["ZADD", "z", "1.5", "a", "-2", "b", "inf", "c"]);
  await store.exec(["XADD", "st", "1-1", "f", "v"]);
  await store.exec(["XADD", "st", "2-1", "g", "w"]);
  await store.exec(["XDEL", "st", "1-1"]);
  await store.exec(["SET", "gone", "1"]);
  await store.exec(["DEL", "gone"]);
}

describe("FilePersistence", () => {
  it.each(["always", "everysec", "no"] as const)(
    "replays every type and deadline after a restart (fsync %s)",
    async (fsync) => {
      const dir = tempDir();
      const a = await open(dir, { fsync });
      await fill(a.store);
      await a.p.durable();
      const before = storeDigest(a.repo, T0);
      await a.p.close();
      const b = await open(dir, { fsync });
      expect(storeDigest(b.repo, T0)).toEqual(before);
      expect(before.keys).toBe(7);
      expect(await b.store.exec(["PTTL", "ttl"])).toBe(5000);
      expect(await b.store.exec(["ZRANGE", "z", "0", "-1", "WITHSCORES"])).toEqual(["b", "-2", "a", "1.5", "c", "inf"]);
      expect(await b.store.exec(["XRANGE", "st", "-", "+"])).toEqual([["2-1", ["g", "w"]]]);
      expect(await b.store.exec(["XADD", "st", "2-*", "f", "v"])).toBe("2-2");
      await b.p.close();
    },
  );

  it("does not resurrect keys whose deadline passed while the server was down", async () => {
    const dir = tempDir();
    const a = await open(dir);
    await fill(a.store);
    await a.p.close();
    const b = await open(dir, {}, T0 + 6000);
    expect(b.report.expiredSkipped).toBe(1);
    expect(await b.store.exec(["EXISTS", "ttl"])).toBe(0);
    expect(await b.store.exec(["EXISTS", "s"])).toBe(1);
    await b.p.close();
  });

  it("logs FLUSHALL and what follows it in the same turn", async () => {
    const dir = tempDir();
    const a = await open(dir);
    await fill(a.store);
    await a.p.durable();
    a.store.execSync(["SET", "before", "1"]);
    a.store.execSync(["FLUSHALL"]);
    a.store.execSync(["SET", "after", "1"]);
    await a.p.close();
    const b = await open(dir);
    expect(await b.store.exec(["KEYS", "*"])).toEqual(["after"]);
    await b.p.close();
  });

  it("a snapshot compacts the log, writes continue during it, and the reload is identical", async () => {
    const dir = tempDir();
    const a = await open(dir, { snapshotSliceKeys: 50 });
    for (let i = 0; i < 2000; i++) a.store.execSync(["SET", `k${i}`, `v${i}`]);
    await a.p.durable();
    const snap = a.p.snapshot();
    // Writes interleaved with the slices: overwrite, delete, create.
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setImmediate(r));
      a.store.execSync(["SET", `k${i}`, `new${i}`]);
      a.store.execSync(["DEL", `k${1999 - i}`]);
      a.store.execSync(["SET", `n${i}`, "x"]);
    }
    const report = await snap;
    expect(report.keys).toBeGreaterThan(1000);
    const before = storeDigest(a.repo, T0);
    await a.p.close();
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith(".snap"))).toHaveLength(1);
    // log-1 stays until the next snapshot: the fallback if this one is ever found damaged.
    expect(files.filter((f) => f.endsWith(".log"))).toEqual(["log-1.log", "log-2.log"]);
    const b = await open(dir);
    expect(storeDigest(b.repo, T0)).toEqual(before);
    expect(await b.store.exec(["GET", "k5"])).toBe("new5");
    expect(await b.store.exec(["EXISTS", "k1999"])).toBe(0);
    await b.p.close();
  });

  it("sizes the keyspace for a snapshot's announced key count before loading it, and only from an intact END frame", async () => {
    const dir = tempDir();
    const a = await open(dir);
    for (let i = 0; i < 300; i++) a.store.execSync(["SET", `k${i}`, `v${i}`]);
    await a.p.snapshot();
    await a.p.close();
    const reserveCalls = async (): Promise<number[]> => {
      const store = createStore({ clock: manualClock(T0) });
      const repo = localOf(store);
      const calls: number[] = [];
      const original = repo.reserve?.bind(repo);
      repo.reserve = (keys: number, sample: readonly string[]) => {
        calls.push(keys);
        // A spread sample of the snapshot's keys (a 300-key file is read at one offset).
        expect(sample.length).toBeGreaterThan(0);
        expect(sample.every((k) => /^k\d+$/.test(k))).toBe(true);
        original?.(keys, sample);
      };
      const p = new FilePersistence(repo, { dir, now: () => T0 });
      await p.load();
      expect(repo.storedSize).toBe(300);
      await p.close();
      return calls;
    };
    expect(await reserveCalls()).toEqual([300]);
    // A damaged END frame is no hint (the scan reports the damage; the keys still load).
    const snap = join(dir, readdirSync(dir).find((f) => f.endsWith(".snap")) as string);
    const bytes = readFileSync(snap);
    bytes.writeUInt8((bytes.at(-1) as number) ^ 0x01, bytes.length - 1);
    writeFileSync(snap, bytes);
    expect(await reserveCalls()).toEqual([]);
  });

  it("a MULTI/EXEC is one frame: all or nothing", async () => {
    const dir = tempDir();
    const a = await open(dir);
    await a.store.exec(["SET", "base", "1"]);
    await a.p.durable();
    const size = statSync(join(dir, "log-1.log")).size;
    await a.store.transaction([
      ["SET", "t1", "a"],
      ["SET", "t2", "b"],
    ]);
    await a.p.close();
    const full = statSync(join(dir, "log-1.log")).size;
    // Cut inside the transaction's frame: neither key may come back.
    truncateSync(join(dir, "log-1.log"), size + Math.floor((full - size) / 2));
    const b = await open(dir);
    expect(await b.store.exec(["EXISTS", "base", "t1", "t2"])).toBe(1);
    await b.p.close();
  });

  describe("corruption", () => {
    async function damagedLog(mutate: (file: string, size: number) => void) {
      const dir = tempDir();
      const a = await open(dir);
      for (let i = 0; i < 10; i++) {
        a.store.execSync(["SET", `k${i}`, "v".repeat(100)]);
        await a.p.durable();
      }
      await a.p.close();
      const file = join(dir, "log-1.log");
      mutate(file, statSync(file).size);
      return { dir, file };
    }

    it.each([
      ["truncated mid-frame", (f: string, size: number) => truncateSync(f, size - 30)],
      [
        "a flipped bit in the last frame",
        (f: string, size: number) => {
          const b = readFileSync(f);
          b[size - 5] = (b[size - 5] as number) ^ 0x10;
          writeFileSync(f, b);
        },
      ],
      [
        "garbage appended",
        (f: string) => writeFileSync(f, Buffer.concat([readFileSync(f), Buffer.from("\x00\x00\x10garbage")])),
      ],
    ])("log %s: truncate loads the valid prefix and reports the drop", async (_name, mutate) => {
      const { dir, file } = await damagedLog(mutate);
      const sizeBefore = statSync(file).size;
      const b = await open(dir, { onCorruptTail: "truncate" });
      expect(b.report.dropped).toHaveLength(1);
      const d = b.report.dropped[0];
      expect(d?.offset).toBeGreaterThan(8);
      expect((d?.offset ?? 0) + (d?.bytes ?? 0)).toBe(sizeBefore);
      expect(Number(await b.store.exec(["DBSIZE"]))).toBeGreaterThanOrEqual(9);
      expect(statSync(file).size).toBe(d?.offset); // the tail is cut, new writes go to a new log
      await b.p.close();
      const c = await open(dir, { onCorruptTail: "refuse" }); // clean now
      expect(c.report.dropped).toHaveLength(0);
      await c.p.close();
    });

    it("log tail with refuse: the start fails and says where", async () => {
      const { dir } = await damagedLog((f, size) => truncateSync(f, size - 30));
      const clock = manualClock(T0);
      const store = createStore({ clock });
      const p = new FilePersistence(localOf(store), { dir, onCorruptTail: "refuse" });
      await expect(p.load()).rejects.toThrow(PersistenceError);
      await expect(
        new FilePersistence(localOf(createStore()), { dir, onCorruptTail: "refuse" }).load(),
      ).rejects.toThrow(/offset \d+; \d+ bytes/);
    });

    it("snapshot damage: refuse stops, truncate loads the prefix plus the newer log and writes a fresh snapshot", async () => {
      const dir = tempDir();
      const a = await open(dir, { snapshotSliceKeys: 10 });
      for (let i = 0; i < 100; i++) a.store.execSync(["SET", `k${i}`, `v${i}`]);
      await a.p.snapshot();
      a.store.execSync(["SET", "after", "1"]);
      await a.p.close();
      const snap = join(dir, readdirSync(dir).find((f) => f.endsWith(".snap")) as string);
      const b = readFileSync(snap);
      b[b.length - 20] = (b[b.length - 20] as number) ^ 0xff; // inside the last frames
      writeFileSync(snap, b);
      // Without the previous generation to fall back on (corruption.test.ts covers the fallback).
      unlinkSync(join(dir, "log-1.log"));
      await expect(
        new FilePersistence(localOf(createStore()), { dir, onCorruptTail: "refuse" }).load(),
      ).rejects.toThrow(/snapshot-2\.snap/);
      const c = await open(dir, { onCorruptTail: "truncate", snapshotSliceKeys: 10 });
      expect(c.report.dropped[0]?.file).toBe(snap);
      expect(await c.store.exec(["GET", "after"])).toBe("1");
      expect(Number(await c.store.exec(["DBSIZE"]))).toBeGreaterThanOrEqual(90);
      await new Promise((r) => setTimeout(r, 200));
      await c.p.close();
      expect(readdirSync(dir).some((f) => f.includes(".corrupt-"))).toBe(true);
      const d = await open(dir, { onCorruptTail: "refuse" });
      expect(d.report.dropped).toHaveLength(0);
      await d.p.close();
    });
  });
});

describe("FilePersistence.stats", () => {
  it("counts records, bytes, fsyncs and snapshots as they happen", async () => {
    const dir = tempDir();
    const a = await open(dir, { fsync: "always" });
    expect(a.p.stats()).toMatchObject({ fsync: "always", fsyncs: 0, recordsWritten: 0, bytesWritten: 0, snapshots: 0 });
    expect(a.p.stats().lastFsyncAtMs).toBeUndefined();
    expect(a.p.stats().lastSnapshotMs).toBeUndefined();
    await a.store.exec(["MSET", "a", "1", "b", "2"]);
    await a.p.durable();
    await a.store.exec(["DEL", "a"]);
    await a.p.durable();
    const s = a.p.stats();
    expect(s.recordsWritten).toBe(3); // a and b in one frame, then a's deletion
    expect(s.framesWritten).toBe(2);
    expect(s.bytesWritten).toBe(s.logBytes - 8); // everything after the 8-byte header
    expect(s.fsyncs).toBeGreaterThanOrEqual(1);
    expect(s.lastFsyncAtMs).toBe(T0);
    const started = performance.now();
    await a.p.snapshot();
    const took = performance.now() - started;
    expect(a.p.stats().snapshots).toBe(1);
    // The snapshot's own duration: measured, and within the time the call took.
    const ms = a.p.stats().lastSnapshotMs as number;
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(took + 1);
    await a.p.close();
  });
});
