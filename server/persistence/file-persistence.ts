/**
 * Persistence on files: an append-only log of effects plus snapshots that compact it.
 *
 * **What is logged: effects, not commands.** Every change to a key reaches the repository's
 * observer (`touched`); at the end of the turn the key's resulting state (its whole value by
 * type, and its absolute deadline, or a delete) is read and appended. This is correct for every
 * command by construction: random commands (SPOP, the random eviction), relative TTLs (EXPIRE 10
 * becomes an absolute deadline) and commands added later need no per-command rewrite rules, and a
 * replayed record is idempotent. The cost: a write to a large container logs the whole container
 * (the log grows faster, and snapshots compact it sooner). All keys changed in one turn go in one
 * verified frame (frames.ts), so a MULTI/EXEC or a RENAME is all-or-nothing across a crash.
 *
 * **Acknowledged means written** in every fsync mode (log-writer.ts): a reply leaves once its
 * changes are handed to the kernel (and fsynced, with `always`), so a crash of the process loses
 * nothing acknowledged; `everysec` may lose up to ~1 s to a power loss, `no` what the OS had not
 * flushed. A failing disk makes the log *failing* (MISCONF) without ever dropping a frame.
 *
 * **Files** (in the data dir): `log-<gen>.log` and `snapshot-<gen>.snap`. A snapshot of generation
 * g plus the logs of generations ≥ g give the state. A snapshot starts by switching new writes to
 * log g, then walks the keyspace in slices between which commands run: the snapshot itself is
 * fuzzy, but every key changed during the walk is also in log g, and replaying full key states
 * over it yields exactly the state at the end of the log. It is written to a temp file, fsynced,
 * renamed, the directory fsynced; only then are files older than the *previous* generation
 * deleted: the previous snapshot and the logs since it stay until the next snapshot, so a damaged
 * newest snapshot costs nothing (the loader starts from the previous generation instead). One
 * frame per key, so damage in both generations costs only the keys damaged in both (loader.ts).
 */
import { open, readdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Bytes } from "../../shared/store/bytes.js";
import type { LocalKeyspace, RepositoryObserver } from "../../shared/store/repository.js";
import { Op, RecordWriter } from "./codec.js";
import { SNAP_MAGIC } from "./frames.js";
import { loadDataDir, logGen, type PersistenceLogger, snapshotGen } from "./loader.js";
import { type LogFileOps, LogWriter, syncDir } from "./log-writer.js";
import type { CorruptPolicy, FsyncPolicy, LoadReport, Persistence, PersistenceStats, SnapshotReport } from "./types.js";

export { PersistenceError, type PersistenceLogger } from "./loader.js";

/** Options of {@link FilePersistence}. */
export interface FilePersistenceOptions {
  /** The data directory (created if missing). */
  readonly dir: string;
  /** @default "everysec" */
  readonly fsync?: FsyncPolicy;
  /** @default "skip" */
  readonly onCorrupt?: CorruptPolicy;
  /** @deprecated use `onCorrupt` */
  readonly onCorruptTail?: CorruptPolicy;
  /** A snapshot starts when the logs since the last one pass this size and twice the snapshot. @default 64 MiB */
  readonly snapshotMinLogBytes?: number;
  /** Keys per synchronous snapshot slice. @default 2000 */
  readonly snapshotSliceKeys?: number;
  readonly logger?: PersistenceLogger;
  /** Current time for deadlines at load. @default Date.now */
  readonly now?: () => number;
  /** Read size of the streaming loader. @default 8 MiB */
  readonly loadChunkBytes?: number;
  /** The log writer's file operations (tests inject a failing disk). */
  readonly fileOps?: LogFileOps;
  /** First retry delay after a failed log write. @default 50 */
  readonly retryMs?: number;
}

const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return Math.round((d.user + d.system) / 1000);
};

const SILENT: PersistenceLogger = { info() {}, warn() {}, error() {} };
const SNAPSHOT_RETRY_MIN_MS = 1000;
const SNAPSHOT_RETRY_MAX_MS = 60_000;

/** See the module comment. */
export class FilePersistence implements Persistence, RepositoryObserver {
  private readonly dir: string;
  private readonly policy: FsyncPolicy;
  private readonly onCorrupt: CorruptPolicy;
  private readonly minLogBytes: number;
  private readonly sliceKeys: number;
  private readonly log: PersistenceLogger;
  private readonly now: () => number;
  private readonly writer: LogWriter;

  private gen = 0;
  /**
   * The previous generation's base (its snapshot's generation, 0 = logs from the first): files
   * from it on are kept when a snapshot is written, so a damaged newest snapshot falls back.
   */
  private keepFromGen = 0;
  private readonly dirty = new Set<Bytes>();
  private flushPending = false;
  private scheduled = false;
  private readonly records = new RecordWriter();
  private snapshotting: Promise<SnapshotReport> | undefined;
  private logBytesSinceSnapshot = 0;
  private lastSnapshotBytes = 0;
  private framesWritten = 0;
  private snapshots = 0;
  private lastSnapshotAtMs: number | undefined;
  private lastSnapshotMs: number | undefined;
  private recordsWritten = 0;
  private needSnapshot = false;
  /** No automatic snapshot before this time (backoff after a failed one). */
  private snapshotNotBefore = 0;
  private snapshotRetryMs = SNAPSHOT_RETRY_MIN_MS;
  private closed = false;
  /** Removes this from the keyspace's observers (set by start). */
  private unobserve: (() => void) | undefined;

  constructor(
    private readonly repo: LocalKeyspace,
    private readonly options: FilePersistenceOptions,
  ) {
    this.dir = options.dir;
    this.policy = options.fsync ?? "everysec";
    this.onCorrupt = options.onCorrupt ?? options.onCorruptTail ?? "skip";
    this.minLogBytes = options.snapshotMinLogBytes ?? 64 * 1024 * 1024;
    this.sliceKeys = options.snapshotSliceKeys ?? 2000;
    this.log = options.logger ?? SILENT;
    this.now = options.now ?? Date.now;
    this.writer = new LogWriter({
      dir: this.dir,
      policy: this.policy,
      log: this.log,
      now: this.now,
      fileOps: options.fileOps,
      retryMs: options.retryMs,
      onWritten: () => this.maybeSnapshot(),
    });
  }

  get failing(): boolean {
    return this.writer.failing;
  }

  misconf(): Error {
    return this.writer.misconf();
  }

  // ---- loading ----

  async load(): Promise<LoadReport> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const outcome = await loadDataDir({
      dir: this.dir,
      repo: this.repo,
      now: this.now(),
      onCorrupt: this.onCorrupt,
      log: this.log,
      chunkBytes: this.options.loadChunkBytes,
    });
    this.gen = outcome.gen;
    this.keepFromGen = outcome.baseGen;
    this.logBytesSinceSnapshot = outcome.logBytes;
    this.lastSnapshotBytes = outcome.snapshotBytes;
    this.needSnapshot = outcome.needSnapshot;
    const report: LoadReport = {
      keys: this.repo.size(),
      expiredSkipped: outcome.expiredSkipped,
      frames: outcome.frames,
      snapshotFile: outcome.snapshotFile,
      logFiles: outcome.logFiles,
      dropped: outcome.dropped,
      damage: outcome.damage,
      ms: Math.round(performance.now() - t0),
      cpuMs: cpuMsSince(cpu0),
    };
    const damaged = outcome.damage.filter((d) => !d.tornTail);
    const torn = outcome.damage.filter((d) => d.tornTail);
    if (damaged.length > 0) {
      const keys = damaged.reduce((n, d) => n + (d.skippedKeys ?? 0), 0);
      this.log.error(
        { damage: damaged, keys: report.keys },
        `persistence: skipped ${damaged.reduce((n, d) => n + d.regions, 0)} damaged region(s) (${damaged.reduce((n, d) => n + d.bytes, 0)} bytes${keys > 0 ? `, ${keys} snapshot key(s)` : ""}) in ${damaged.map((d) => d.file).join(", ")}; loaded every frame that verifies; the damaged file(s) are kept aside as ${damaged.map((d) => d.keptAs).join(", ")}; a fresh snapshot follows`,
      );
    }
    for (const t of torn)
      this.log.warn(
        { file: t.file, offset: outcome.dropped.find((d) => d.file === t.file)?.offset, droppedBytes: t.bytes },
        `persistence: cut a torn last frame (${t.bytes} bytes, a write interrupted by a crash) off ${t.file}`,
      );
    return report;
  }

  // ---- recording ----

  start(): void {
    this.writer.rotate(++this.gen);
    this.unobserve = this.repo.addObserver(this);
    this.writer.start();
    if (this.needSnapshot) {
      this.needSnapshot = false;
      this.snapshot().catch((error: unknown) => this.log.error({ err: error }, "persistence: snapshot failed"));
    }
  }

  touched(key: Bytes): void {
    this.dirty.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.encode);
    }
  }

  /** FLUSHALL: earlier dirty keys are gone with everything else. */
  flushed(): void {
    this.dirty.clear();
    this.flushPending = true;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.encode);
    }
  }

  accessed(_key: Bytes): void {}

  /** Encodes every key changed since the last call into one frame and queues it. */
  private readonly encode = (): void => {
    this.scheduled = false;
    if (this.dirty.size === 0 && !this.flushPending) return;
    const w = this.records;
    w.beginFrame();
    if (this.flushPending) w.u8(Op.FLUSH);
    this.flushPending = false;
    this.recordsWritten += this.dirty.size;
    for (const key of this.dirty) {
      const state = this.repo.peek(key);
      w.keyState(key, state?.value, state?.expireAt);
    }
    this.dirty.clear();
    w.endFrame();
    this.framesWritten++;
    const data = w.take();
    this.logBytesSinceSnapshot += data.length;
    this.writer.append(data);
  };

  mark(): number {
    if (this.scheduled || this.dirty.size > 0 || this.flushPending) this.encode();
    return this.writer.seq;
  }

  durable(since = -1): Promise<void> {
    return this.writer.waitFor(this.mark(), since);
  }

  // ---- snapshots ----

  private maybeSnapshot(): void {
    if (this.snapshotting !== undefined || this.closed || this.writer.failing) return;
    if (this.logBytesSinceSnapshot < Math.max(this.minLogBytes, this.lastSnapshotBytes * 2)) return;
    if (Date.now() < this.snapshotNotBefore) return;
    this.snapshot().catch((error: unknown) =>
      this.log.error(
        { err: error, retryInMs: this.snapshotRetryMs },
        "persistence: snapshot failed; the log keeps every change, the next attempt waits",
      ),
    );
  }

  snapshot(): Promise<SnapshotReport> {
    this.snapshotting ??= this.writeSnapshot().then(
      (report) => {
        this.snapshotting = undefined;
        this.snapshotRetryMs = SNAPSHOT_RETRY_MIN_MS;
        this.snapshotNotBefore = 0;
        return report;
      },
      (error: unknown) => {
        this.snapshotting = undefined;
        // Back off: an unwritable dir is not retried after every write.
        this.snapshotNotBefore = Date.now() + this.snapshotRetryMs;
        this.snapshotRetryMs = Math.min(SNAPSHOT_RETRY_MAX_MS, this.snapshotRetryMs * 2);
        throw error;
      },
    );
    return this.snapshotting;
  }

  private async writeSnapshot(): Promise<SnapshotReport> {
    const t0 = performance.now();
    // 1. Everything so far goes to the old segment; new writes go to a new one.
    this.encode();
    const oldSeq = this.writer.seq;
    const gen = this.gen + 1;
    this.writer.rotate(gen);
    this.gen = gen;
    this.logBytesSinceSnapshot = 0;
    // 2. Walk the keyspace in slices into a temp file, one frame per key.
    const file = join(this.dir, `snapshot-${gen}.snap`);
    const tmp = `${file}.tmp`;
    let keys = 0;
    let bytes = 0;
    let longestSliceMs = 0;
    try {
      const fh = await open(tmp, "w");
      try {
        await fh.write(SNAP_MAGIC);
        bytes += SNAP_MAGIC.length;
        const iter = this.repo.keys();
        const w = new RecordWriter(1 << 16);
        for (;;) {
          const s0 = performance.now();
          const now = this.now();
          let n = 0;
          let done = false;
          while (n < this.sliceKeys) {
            const next = iter.next();
            if (next.done) {
              done = true;
              break;
            }
            const state = this.repo.peek(next.value);
            if (state === undefined || (state.expireAt !== undefined && state.expireAt <= now)) continue;
            w.beginFrame();
            w.keyState(next.value, state.value, state.expireAt);
            w.endFrame();
            n++;
          }
          keys += n;
          if (done) {
            w.beginFrame();
            w.u8(Op.END);
            w.u32(keys);
            w.endFrame();
          }
          const chunk = w.take();
          longestSliceMs = Math.max(longestSliceMs, performance.now() - s0);
          let off = 0;
          while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          bytes += chunk.length;
          if (done) break;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw error;
    }
    syncDir(this.dir);
    // 3. The new snapshot covers the older files (the walk read every change queued before step
    // 1). The previous generation (the last snapshot and the logs since) stays until the next
    // snapshot replaces it: if this one is ever found damaged, the loader starts from that one
    // (as etcd keeps older snapshots and WAL files). Older files go, logs before snapshots so
    // that an interrupted cleanup never leaves a log without the snapshot under it.
    await this.writer.written(oldSeq);
    const keepFrom = this.keepFromGen;
    const names = await readdir(this.dir);
    for (const name of names) {
      const l = logGen(name);
      if (l !== undefined && l < keepFrom) await unlink(join(this.dir, name));
    }
    for (const name of names) {
      const s = snapshotGen(name);
      if (s !== undefined && s < keepFrom) await unlink(join(this.dir, name));
    }
    this.keepFromGen = gen;
    this.writer.retireBefore(gen);
    this.lastSnapshotBytes = bytes;
    this.snapshots++;
    this.lastSnapshotAtMs = Date.now();
    const report: SnapshotReport = { file, keys, bytes, ms: Math.round(performance.now() - t0), longestSliceMs };
    this.lastSnapshotMs = performance.now() - t0;
    this.log.info({ ...report, longestSliceMs: Math.round(longestSliceMs * 10) / 10 }, "snapshot written");
    return report;
  }

  stats(): PersistenceStats {
    return {
      fsync: this.policy,
      logBytes: this.writer.segment?.size ?? 0,
      framesWritten: this.framesWritten,
      fsyncs: this.writer.fsyncs,
      snapshots: this.snapshots,
      lastSnapshotAtMs: this.lastSnapshotAtMs,
      lastError: this.writer.lastError,
      lastFsyncAtMs: this.writer.lastFsyncAtMs,
      lastSnapshotMs: this.lastSnapshotMs,
      recordsWritten: this.recordsWritten,
      bytesWritten: this.writer.bytesWritten,
      writeFailures: this.writer.failures,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unobserve?.();
    await this.snapshotting?.catch(() => {});
    this.encode();
    await this.writer.close();
  }
}
