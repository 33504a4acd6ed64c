/**
 * Persistence on files: an append-only log of effects plus snapshots that compact it.
 *
 * **What is logged: effects, not commands.** Every change to a key reaches the repository's
 * observer (`touched`); at the end of the turn the key's resulting state (its whole value by
 * type, and its absolute deadline, or a delete) is read and appended. This is correct for every
 * command by construction: random commands (SPOP, SRANDMEMBER with side effects none, the random
 * eviction), relative TTLs (EXPIRE 10 becomes an absolute deadline) and commands added later need
 * no per-command rewrite rules, and a replayed record is idempotent. The cost: a write to a large
 * container logs the whole container (the log grows faster, and snapshots compact it sooner).
 * All keys changed in one turn go in one CRC-checked frame, so a MULTI/EXEC or a RENAME is
 * all-or-nothing across a crash.
 *
 * **Files** (in the data dir): `log-<gen>.log` and `snapshot-<gen>.snap`. A snapshot of generation
 * g plus the logs of generations ≥ g give the state. A snapshot starts by switching new writes to
 * log g, then walks the keyspace in slices between which commands run: the snapshot itself is
 * fuzzy, but every key changed during the walk is also in log g, and replaying full key states
 * over it yields exactly the state at the end of the log. It is written to a temp file, fsynced,
 * renamed, the directory fsynced; only then are older files deleted.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Bytes } from "../../shared/store/bytes.js";
import type { MapRepository, RepositoryObserver } from "../../shared/store/map-repository.js";
import { decodePayload, RecordWriter, scanFrames } from "./codec.js";
import type {
  CorruptTailPolicy,
  DroppedTail,
  FsyncPolicy,
  LoadReport,
  Persistence,
  PersistenceStats,
  SnapshotReport,
} from "./types.js";

const LOG_MAGIC = new TextEncoder().encode("MEMLOG01");
const SNAP_MAGIC = new TextEncoder().encode("MEMSNP01");
const MAGIC_BYTES = 8;

/** A log line sink (pino's shape). */
export interface PersistenceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link FilePersistence}. */
export interface FilePersistenceOptions {
  /** The data directory (created if missing). */
  readonly dir: string;
  /** @default "everysec" */
  readonly fsync?: FsyncPolicy;
  /** @default "truncate" */
  readonly onCorruptTail?: CorruptTailPolicy;
  /** A snapshot starts when the logs since the last one pass this size and twice the snapshot. @default 64 MiB */
  readonly snapshotMinLogBytes?: number;
  /** Keys per synchronous snapshot slice. @default 2000 */
  readonly snapshotSliceKeys?: number;
  readonly logger?: PersistenceLogger;
  /** Current time for deadlines at load. @default Date.now */
  readonly now?: () => number;
}

/** Thrown by {@link FilePersistence.load} when a corrupt file must stop the start (`refuse`). */
export class PersistenceError extends Error {
  override readonly name = "PersistenceError";
  constructor(
    message: string,
    readonly dropped: readonly DroppedTail[] = [],
  ) {
    super(message);
  }
}

interface Segment {
  readonly gen: number;
  readonly file: string;
  fh: FileHandle | undefined;
  /** Bytes written so far (including the header). */
  size: number;
}

interface Pending {
  readonly segment: Segment;
  readonly data: Uint8Array;
  readonly seq: number;
}

interface Waiter {
  readonly seq: number;
  readonly durable: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

const SILENT: PersistenceLogger = { info() {}, warn() {}, error() {} };

const genOf = (name: string, prefix: string, suffix: string): number | undefined => {
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return undefined;
  const n = Number(name.slice(prefix.length, name.length - suffix.length));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/** See the module comment. */
export class FilePersistence implements Persistence, RepositoryObserver {
  private readonly dir: string;
  private readonly policy: FsyncPolicy;
  private readonly onCorrupt: CorruptTailPolicy;
  private readonly minLogBytes: number;
  private readonly sliceKeys: number;
  private readonly log: PersistenceLogger;
  private readonly now: () => number;

  private segment: Segment | undefined;
  private gen = 0;
  private readonly dirty = new Set<Bytes>();
  private flushPending = false;
  private scheduled = false;
  private readonly writer = new RecordWriter();
  private queue: Pending[] = [];
  private writing = false;
  private seq = 0;
  private writtenSeq = 0;
  private syncedSeq = 0;
  private waiters: Waiter[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private error: unknown;
  private snapshotting: Promise<SnapshotReport> | undefined;
  private logBytesSinceSnapshot = 0;
  private lastSnapshotBytes = 0;
  private framesWritten = 0;
  private fsyncs = 0;
  private snapshots = 0;
  private lastSnapshotAtMs: number | undefined;
  private lastSnapshotMs: number | undefined;
  private lastFsyncAtMs: number | undefined;
  private recordsWritten = 0;
  private bytesWritten = 0;
  private needSnapshot = false;
  private closed = false;

  constructor(
    private readonly repo: MapRepository,
    options: FilePersistenceOptions,
  ) {
    this.dir = options.dir;
    this.policy = options.fsync ?? "everysec";
    this.onCorrupt = options.onCorruptTail ?? "truncate";
    this.minLogBytes = options.snapshotMinLogBytes ?? 64 * 1024 * 1024;
    this.sliceKeys = options.snapshotSliceKeys ?? 2000;
    this.log = options.logger ?? SILENT;
    this.now = options.now ?? Date.now;
  }

  get failing(): boolean {
    return this.error !== undefined;
  }

  // ---- loading ----

  async load(): Promise<LoadReport> {
    const t0 = performance.now();
    await mkdir(this.dir, { recursive: true });
    const names = await readdir(this.dir);
    const snaps: number[] = [];
    const logs: number[] = [];
    for (const name of names) {
      if (name.endsWith(".tmp")) {
        await unlink(join(this.dir, name)); // an interrupted snapshot: its log still holds the data
        continue;
      }
      const s = genOf(name, "snapshot-", ".snap");
      if (s !== undefined) snaps.push(s);
      const l = genOf(name, "log-", ".log");
      if (l !== undefined) logs.push(l);
    }
    snaps.sort((a, b) => a - b);
    logs.sort((a, b) => a - b);
    const snapGen = snaps.at(-1);
    const dropped: DroppedTail[] = [];
    let frames = 0;
    let expiredSkipped = 0;
    const now = this.now();
    let snapshotFile: string | undefined;

    const apply = (payload: Uint8Array): void => {
      frames++;
      this.repo.atomic(null, now, (view) => {
        decodePayload(payload, (op) => {
          switch (op.op) {
            case "flush":
              view.flush();
              return;
            case "del":
              view.remove(op.key);
              return;
            case "end":
              return;
            case "put":
              if (op.expireAt !== undefined && op.expireAt <= now) {
                expiredSkipped++;
                view.remove(op.key); // due: never resurrected (a snapshot may hold an older state)
                return;
              }
              view.put(op.key, op.value);
              if (op.expireAt !== undefined) view.setExpireAt(op.key, op.expireAt);
          }
        });
      });
    };

    const readFileChecked = async (file: string, magic: Uint8Array, isSnapshot: boolean): Promise<void> => {
      const data = new Uint8Array(await readFile(file));
      const total = data.length;
      let lastReport = performance.now();
      let sawEnd = false;
      const headerOk = data.length >= MAGIC_BYTES && magic.every((b, i) => data[i] === b);
      const scan = headerOk
        ? scanFrames(data, MAGIC_BYTES, (payload, offset) => {
            if (isSnapshot && payload[0] === 7) sawEnd = true;
            apply(payload);
            if (performance.now() - lastReport > 1000) {
              lastReport = performance.now();
              this.log.info(
                { file, offset, bytes: total, percent: Math.round((offset / total) * 100) },
                "loading persisted data",
              );
            }
          })
        : { validEnd: 0, problem: data.length < MAGIC_BYTES ? "file shorter than its header" : "bad file header" };
      let problem = scan.problem;
      if (problem === undefined && isSnapshot && !sawEnd) problem = "snapshot has no end marker";
      if (problem === undefined) return;
      const tail: DroppedTail = { file, offset: scan.validEnd, bytes: total - scan.validEnd, reason: problem };
      dropped.push(tail);
      if (this.onCorrupt === "refuse") {
        throw new PersistenceError(
          `${file}: ${problem} at offset ${tail.offset}; ${tail.bytes} bytes after it cannot be loaded. Refusing to start (--on-corrupt-tail=refuse). Start with --on-corrupt-tail=truncate to load the valid prefix and drop the rest.`,
          [tail],
        );
      }
      this.log.error(
        { file, offset: tail.offset, droppedBytes: tail.bytes, reason: problem },
        `persistence: ${isSnapshot ? "snapshot" : "log"} is torn or corrupt: loaded the valid prefix, dropped ${tail.bytes} bytes from offset ${tail.offset}`,
      );
      if (isSnapshot) {
        // Keep the damaged file aside for inspection; a fresh snapshot replaces it after start.
        await rename(file, `${file}.corrupt-${Date.now()}`);
        this.needSnapshot = true;
      } else if (headerOk) {
        await truncate(file, scan.validEnd);
      } else {
        await rename(file, `${file}.corrupt-${Date.now()}`);
      }
    };

    if (snapGen !== undefined) {
      snapshotFile = join(this.dir, `snapshot-${snapGen}.snap`);
      this.log.info({ file: snapshotFile }, "loading snapshot");
      await readFileChecked(snapshotFile, SNAP_MAGIC, true);
    }
    const logFiles: string[] = [];
    for (const g of logs) {
      if (snapGen !== undefined && g < snapGen) continue;
      const file = join(this.dir, `log-${g}.log`);
      logFiles.push(file);
      await readFileChecked(file, LOG_MAGIC, false);
    }
    this.gen = Math.max(snapGen ?? 0, logs.at(-1) ?? 0);
    for (const g of logs)
      if (snapGen === undefined || g >= snapGen) this.logBytesSinceSnapshot += await this.sizeOf(`log-${g}.log`);
    if (snapGen !== undefined) this.lastSnapshotBytes = await this.sizeOf(`snapshot-${snapGen}.snap`);
    const report: LoadReport = {
      keys: this.repo.size(),
      expiredSkipped,
      frames,
      snapshotFile,
      logFiles,
      dropped,
      ms: Math.round(performance.now() - t0),
    };
    return report;
  }

  private async sizeOf(name: string): Promise<number> {
    try {
      return (await stat(join(this.dir, name))).size;
    } catch {
      return 0;
    }
  }

  // ---- recording ----

  start(): void {
    this.segment = this.openSegment(++this.gen);
    this.repo.observer = this;
    if (this.policy === "everysec") {
      this.timer = setInterval(() => void this.syncNow(), 1000);
      this.timer.unref();
    }
    if (this.needSnapshot) {
      this.needSnapshot = false;
      this.snapshot().catch((error: unknown) => this.log.error({ err: error }, "snapshot failed"));
    }
  }

  /** Opens a new log segment synchronously (header written and fsynced with its directory entry). */
  private openSegment(gen: number): Segment {
    const file = join(this.dir, `log-${gen}.log`);
    // The header is written and fsynced at once, with the directory entry: a crash never leaves a
    // log without its header.
    const fd = openSync(file, "w");
    writeSync(fd, LOG_MAGIC);
    fsyncSync(fd);
    closeSync(fd);
    this.syncDir();
    return { gen, file, fh: undefined, size: LOG_MAGIC.length };
  }

  private syncDir(): void {
    try {
      const fd = openSync(this.dir, "r");
      fsyncSync(fd);
      closeSync(fd);
    } catch {
      // Some platforms cannot fsync a directory; the rename is still atomic.
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
    const w = this.writer;
    w.beginFrame();
    if (this.flushPending) w.u8(1);
    this.flushPending = false;
    this.recordsWritten += this.dirty.size;
    for (const key of this.dirty) {
      const state = this.repo.peek(key);
      w.keyState(key, state?.value, state?.expireAt);
    }
    this.dirty.clear();
    w.endFrame();
    this.framesWritten++;
    this.enqueue(w.take());
  };

  private enqueue(data: Uint8Array): void {
    if (data.length === 0 || this.segment === undefined) return;
    this.queue.push({ segment: this.segment, data, seq: ++this.seq });
    this.logBytesSinceSnapshot += data.length;
    void this.drain();
  }

  /** The writer loop: one at a time, everything queued meanwhile goes in the next write (group commit). */
  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const touched = new Set<Segment>();
        let i = 0;
        while (i < batch.length) {
          const segment = (batch[i] as Pending).segment;
          let j = i;
          let bytes = 0;
          while (j < batch.length && (batch[j] as Pending).segment === segment)
            bytes += (batch[j++] as Pending).data.length;
          const buf = Buffer.allocUnsafe(bytes);
          let at = 0;
          for (let k = i; k < j; k++) {
            buf.set((batch[k] as Pending).data, at);
            at += (batch[k] as Pending).data.length;
          }
          if (segment.fh === undefined) {
            segment.fh = await open(segment.file, "a");
            this.openHandles.add(segment);
          }
          await segment.fh.write(buf);
          segment.size += bytes;
          this.bytesWritten += bytes;
          touched.add(segment);
          i = j;
        }
        const top = (batch.at(-1) as Pending).seq;
        if (this.policy === "always") {
          for (const s of touched) await s.fh?.datasync();
          this.fsyncs++;
          this.lastFsyncAtMs = this.now();
          this.syncedSeq = top;
        }
        this.writtenSeq = top;
        this.wake();
      }
      this.error = undefined;
    } catch (error) {
      this.error = error;
      this.log.error({ err: error }, "persistence: writing the log failed; write commands are refused until it works");
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.reject(error);
      // Retry later: the queue is kept for the next attempt.
      setTimeout(() => void this.drain(), 1000).unref();
    } finally {
      this.writing = false;
    }
    this.maybeSnapshot();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if ((w.durable ? this.syncedSeq : this.writtenSeq) >= w.seq) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /** fsync of the current segment (the everysec timer). */
  private async syncNow(): Promise<void> {
    const segment = this.segment;
    const top = this.writtenSeq;
    if (segment?.fh === undefined || top <= this.syncedSeq) return;
    try {
      await segment.fh.datasync();
      this.fsyncs++;
      this.lastFsyncAtMs = this.now();
      if (top > this.syncedSeq) this.syncedSeq = top;
      this.wake();
    } catch (error) {
      this.log.error({ err: error }, "persistence: fsync failed");
    }
  }

  durable(): Promise<void> {
    if (this.scheduled || this.dirty.size > 0 || this.flushPending) this.encode();
    const target = this.seq;
    const durable = this.policy === "always";
    if ((durable ? this.syncedSeq : this.writtenSeq) >= target) return Promise.resolve();
    if (this.error !== undefined) return Promise.reject(this.error);
    return new Promise<void>((resolve, reject) => this.waiters.push({ seq: target, durable, resolve, reject }));
  }

  // ---- snapshots ----

  private maybeSnapshot(): void {
    if (this.snapshotting !== undefined || this.closed) return;
    if (this.logBytesSinceSnapshot < Math.max(this.minLogBytes, this.lastSnapshotBytes * 2)) return;
    this.snapshot().catch((error: unknown) => this.log.error({ err: error }, "persistence: snapshot failed"));
  }

  snapshot(): Promise<SnapshotReport> {
    this.snapshotting ??= this.writeSnapshot().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  private async writeSnapshot(): Promise<SnapshotReport> {
    const t0 = performance.now();
    // 1. Everything so far goes to the old segment; new writes go to a new one.
    this.encode();
    const oldSeq = this.seq;
    const gen = ++this.gen;
    this.segment = this.openSegment(gen);
    this.logBytesSinceSnapshot = 0;
    // 2. Walk the keyspace in slices into a temp file.
    const file = join(this.dir, `snapshot-${gen}.snap`);
    const tmp = `${file}.tmp`;
    const fh = await open(tmp, "w");
    let keys = 0;
    let bytes = 0;
    let longestSliceMs = 0;
    try {
      await fh.write(SNAP_MAGIC);
      bytes += SNAP_MAGIC.length;
      const iter = this.repo.keys();
      const w = new RecordWriter();
      for (;;) {
        const s0 = performance.now();
        const now = this.now();
        w.beginFrame();
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
          w.keyState(next.value, state.value, state.expireAt);
          n++;
        }
        keys += n;
        w.endFrame();
        if (done) {
          w.beginFrame();
          w.u8(7);
          w.u32(keys);
          w.endFrame();
        }
        const chunk = w.take();
        longestSliceMs = Math.max(longestSliceMs, performance.now() - s0);
        await fh.write(chunk);
        bytes += chunk.length;
        if (done) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    this.syncDir();
    // 3. The old segments are covered: wait until they are fully written, then drop them.
    await new Promise<void>((resolve, reject) => {
      if (this.writtenSeq >= oldSeq) resolve();
      else this.waiters.push({ seq: oldSeq, durable: false, resolve, reject });
    });
    for (const name of await readdir(this.dir)) {
      const l = genOf(name, "log-", ".log");
      const s = genOf(name, "snapshot-", ".snap");
      if ((l !== undefined && l < gen) || (s !== undefined && s < gen)) await unlink(join(this.dir, name));
    }
    this.closeOldHandles(gen);
    this.lastSnapshotBytes = bytes;
    this.snapshots++;
    this.lastSnapshotAtMs = Date.now();
    const report: SnapshotReport = { file, keys, bytes, ms: Math.round(performance.now() - t0), longestSliceMs };
    this.lastSnapshotMs = performance.now() - t0;
    this.log.info({ ...report, longestSliceMs: Math.round(longestSliceMs * 10) / 10 }, "snapshot written");
    return report;
  }

  private readonly openHandles = new Set<Segment>();

  private closeOldHandles(gen: number): void {
    for (const s of this.openHandles) {
      if (s.gen < gen) {
        this.openHandles.delete(s);
        void s.fh?.close().catch(() => {});
      }
    }
  }

  stats(): PersistenceStats {
    return {
      fsync: this.policy,
      logBytes: this.segment?.size ?? 0,
      framesWritten: this.framesWritten,
      fsyncs: this.fsyncs,
      snapshots: this.snapshots,
      lastSnapshotAtMs: this.lastSnapshotAtMs,
      lastError: this.error === undefined ? undefined : String(this.error),
      lastFsyncAtMs: this.lastFsyncAtMs,
      lastSnapshotMs: this.lastSnapshotMs,
      recordsWritten: this.recordsWritten,
      bytesWritten: this.bytesWritten,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.repo.observer === this) this.repo.observer = undefined;
    await this.snapshotting?.catch(() => {});
    this.encode();
    const target = this.seq;
    if (this.writtenSeq < target) {
      await new Promise<void>((resolve, reject) => this.waiters.push({ seq: target, durable: false, resolve, reject }));
    }
    const segment = this.segment;
    if (segment?.fh) {
      await segment.fh.datasync();
      await segment.fh.close();
    }
    this.closeOldHandles(Number.POSITIVE_INFINITY);
  }
}
