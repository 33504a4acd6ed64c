/**
 * A failing disk under the log (injected into the writer's file operations): nothing acknowledged
 * is ever lost, writes are refused (MISCONF) while the log cannot be written, the server recovers
 * by itself, and calls that changed nothing are answered at once.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createManualClock } from "../../shared/store/clock.js";
import { StoreError } from "../../shared/store/errors.js";
import { createStore } from "../../shared/store/store.js";
import { localOf } from "../../shared/store/testing.js";
import { FilePersistence, type FilePersistenceOptions, type PersistenceLogger } from "./file-persistence.js";
import { type LogFileOps, nodeFileOps } from "./log-writer.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "mem-logfail-"));
  dirs.push(d);
  return d;
};

const T0 = 1_700_000_000_000;

type DiskMode = "ok" | "full" | "short" | "sync-eio";

/** A disk that can fill up (a partial write, then ENOSPC), write short, or fail fsync. */
function faultyDisk() {
  const disk = { mode: "ok" as DiskMode, failedCalls: 0 };
  const enospc = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  const ops: LogFileOps = {
    async write(fd, buf, offset, length, position) {
      if (disk.mode === "full") {
        disk.failedCalls++;
        // The first call of a failing batch lands partly (a short write), the next fails.
        if (disk.failedCalls % 2 === 1 && length > 3) return nodeFileOps.write(fd, buf, offset, length >> 1, position);
        throw enospc();
      }
      if (disk.mode === "short") return nodeFileOps.write(fd, buf, offset, Math.min(length, 61), position);
      return nodeFileOps.write(fd, buf, offset, length, position);
    },
    async datasync(fd) {
      if (disk.mode === "sync-eio") {
        disk.failedCalls++;
        throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
      }
      return nodeFileOps.datasync(fd);
    },
    truncate: nodeFileOps.truncate,
  };
  return { disk, ops };
}

function recordingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const logger: PersistenceLogger = {
    info: (_o, msg) => lines.push({ level: "info", msg }),
    warn: (_o, msg) => lines.push({ level: "warn", msg }),
    error: (_o, msg) => lines.push({ level: "error", msg }),
  };
  return { lines, logger };
}

async function open(dir: string, options: Partial<FilePersistenceOptions> = {}) {
  const clock = createManualClock(T0);
  const store = createStore({ clock });
  const repo = localOf(store);
  const p = new FilePersistence(repo, { dir, now: () => clock.now(), retryMs: 5, ...options });
  const report = await p.load();
  p.start();
  return { store, repo, p, report };
}

/** One client call: SET, then wait for the acknowledgement as the server's interceptor does. */
async function set(o: Awaited<ReturnType<typeof open>>, key: string, value: string): Promise<void> {
  const since = o.p.mark();
  await o.store.exec(["SET", key, value]);
  await o.p.durable(since);
}

describe.each(["always", "everysec", "no"] as const)("a failing log (fsync %s)", (fsync) => {
  it("refuses with MISCONF, keeps every frame, recovers by itself, and loses nothing acknowledged", async () => {
    const dir = tempDir();
    const { disk, ops } = faultyDisk();
    const { lines, logger } = recordingLogger();
    const a = await open(dir, { fsync, fileOps: ops, logger });
    const acked = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      await set(a, `k${i}`, `v${i}`);
      acked.set(`k${i}`, `v${i}`);
    }
    disk.mode = "full";
    // The first failing write answers MISCONF (not a generic error), and so does every one after.
    const refused: string[] = [];
    for (let i = 0; i < 10; i++) {
      const error = await set(a, `x${i}`, `y${i}`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("MISCONF");
      expect((error as StoreError).message).toMatch(/^MISCONF Errors writing to the append-only log: ENOSPC/);
      refused.push(`x${i}`);
    }
    expect(a.p.failing).toBe(true);
    expect(lines.filter((l) => l.level === "error" && /writing the log failed/.test(l.msg))).toHaveLength(1);
    // A call that changes nothing is answered at once while the log is failing (never hangs).
    const since = a.p.mark();
    expect(await a.store.exec(["GET", "k1"])).toBe("v1");
    await expect(a.p.durable(since)).resolves.toBeUndefined();
    expect(a.p.failing).toBe(true);
    // Space comes back: the retry writes the kept frames and the failure clears by itself.
    disk.mode = "ok";
    await vi.waitFor(() => expect(a.p.failing).toBe(false), { timeout: 10_000, interval: 10 });
    expect(lines.some((l) => /written again/.test(l.msg))).toBe(true);
    for (let i = 0; i < 20; i++) {
      await set(a, `z${i}`, `w${i}`);
      acked.set(`z${i}`, `w${i}`);
    }
    expect(a.p.stats().writeFailures).toBeGreaterThan(0);
    await a.p.close();

    const b = await open(dir, { fsync });
    expect(b.report.dropped).toEqual([]); // the log is whole: the partial writes were rewritten
    for (const [k, v] of acked) expect(await b.store.exec(["GET", k])).toBe(v);
    // The refused writes' outcome was unknown to their clients; the log kept and wrote them.
    for (const [i, k] of refused.entries()) expect(await b.store.exec(["GET", k])).toBe(`y${i}`);
    await b.p.close();
  });

  it("writes every byte through short writes", async () => {
    const dir = tempDir();
    const { disk, ops } = faultyDisk();
    disk.mode = "short";
    const a = await open(dir, { fsync, fileOps: ops });
    const big = "x".repeat(3000);
    await Promise.all(Array.from({ length: 50 }, (_, i) => set(a, `k${i}`, `${big}${i}`)));
    expect(a.p.failing).toBe(false);
    await a.p.close();
    const b = await open(dir, { fsync });
    expect(b.report.dropped).toEqual([]);
    for (let i = 0; i < 50; i++) expect(await b.store.exec(["GET", `k${i}`])).toBe(`${big}${i}`);
    await b.p.close();
  });
});

describe("a failing fsync", () => {
  it("with always: the write is not acknowledged, is rewritten and fsynced on recovery", async () => {
    const dir = tempDir();
    const { disk, ops } = faultyDisk();
    const a = await open(dir, { fsync: "always", fileOps: ops });
    await set(a, "before", "1");
    disk.mode = "sync-eio";
    await expect(set(a, "during", "2")).rejects.toMatchObject({ code: "MISCONF" });
    expect(a.p.failing).toBe(true);
    disk.mode = "ok";
    await vi.waitFor(() => expect(a.p.failing).toBe(false), { timeout: 10_000, interval: 10 });
    await set(a, "after", "3");
    await a.p.close();
    const b = await open(dir);
    expect(await b.store.exec(["MGET", "before", "during", "after"])).toEqual(["1", "2", "3"]);
    await b.p.close();
  });

  it("with everysec: write commands are refused until an fsync works again", async () => {
    const dir = tempDir();
    const { disk, ops } = faultyDisk();
    const a = await open(dir, { fsync: "everysec", fileOps: ops });
    disk.mode = "sync-eio";
    await set(a, "k", "1"); // written: acknowledged (a process crash cannot lose it)
    await vi.waitFor(() => expect(a.p.failing).toBe(true), { timeout: 10_000, interval: 20 });
    disk.mode = "ok";
    await vi.waitFor(() => expect(a.p.failing).toBe(false), { timeout: 10_000, interval: 20 });
    await a.p.close();
  });
});

describe("snapshots on an unwritable dir", () => {
  it("are retried with backoff, not after every write", async () => {
    const dir = tempDir();
    const { lines, logger } = recordingLogger();
    const a = await open(dir, { snapshotMinLogBytes: 1, logger });
    // The next snapshot's temp file cannot be created (a directory is in the way).
    mkdirSync(join(dir, "snapshot-2.snap.tmp"));
    for (let i = 0; i < 200; i++) await set(a, `k${i}`, "v");
    const failures = lines.filter((l) => /snapshot failed/.test(l.msg)).length;
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThanOrEqual(3);
    expect(a.p.failing).toBe(false); // the log itself is fine: writes go on
    await a.p.close();
    const b = await open(dir);
    expect(Number(await b.store.exec(["DBSIZE"]))).toBe(200);
    await b.p.close();
  });
});
