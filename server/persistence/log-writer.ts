/**
 * The log's writer: appends frames to the current segment, group-committing everything queued
 * while the previous write (and fsync) ran into one write per segment, and never loses a frame.
 *
 * **Nothing is dropped.** A batch leaves the queue only once it is wholly written (and fsynced with
 * `always`). Writes are positional at the segment's last good size, so a failed or short write is
 * simply written again in full; the file is also truncated back to that size at once (freeing a
 * full disk's partial write). While a write or fsync fails, the log is *failing*: the server
 * refuses write commands (MISCONF), the batch is retried with backoff (50 ms doubling to 2 s), and
 * the first success clears the failure by itself.
 *
 * **Acknowledgement** ({@link LogWriter.waitFor}): a call's reply waits until every frame up to the
 * call's end is written (handed to the kernel) in every mode, and fsynced with `always`. On a
 * failure, a call that added no frame since it started is answered at once (it cannot have
 * written); one that did gets MISCONF (its outcome is unknown: the frames are retried).
 */
import { closeSync, fdatasync, fsyncSync, ftruncate, openSync, write, writeSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { StoreError } from "../../shared/store/errors.js";
import { LOG_MAGIC } from "./frames.js";
import type { PersistenceLogger } from "./loader.js";
import type { FsyncPolicy } from "./types.js";

/** One log file. */
export interface Segment {
  readonly gen: number;
  readonly file: string;
  readonly fd: number;
  /** Bytes known written (the header included): where the next write goes. */
  size: number;
  /** Bytes known fsynced. */
  syncedSize: number;
}

/** The file operations the writer uses; tests inject failures (a full disk, short writes, EIO). */
export interface LogFileOps {
  /** Writes `buf[offset, offset+length)` at `position`; resolves with the bytes written (maybe fewer). */
  write(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  datasync(fd: number): Promise<void>;
  truncate(fd: number, size: number): Promise<void>;
}

const pwrite = promisify(write);
/** Node's fs. */
export const nodeFileOps: LogFileOps = {
  write: async (fd, buf, offset, length, position) => (await pwrite(fd, buf, offset, length, position)).bytesWritten,
  datasync: promisify(fdatasync),
  truncate: promisify(ftruncate),
};

interface Pending {
  readonly segment: Segment;
  readonly data: Uint8Array;
  readonly seq: number;
}

interface Waiter {
  readonly seq: number;
  readonly since: number;
  /** Needs the write only, whatever the policy ({@link LogWriter.written}). */
  readonly writeOnly: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/** Options of {@link LogWriter}. */
export interface LogWriterOptions {
  readonly dir: string;
  readonly policy: FsyncPolicy;
  readonly log: PersistenceLogger;
  /** Wall clock for stats. */
  readonly now: () => number;
  readonly fileOps?: LogFileOps;
  /** After each successful write (snapshot trigger). */
  readonly onWritten?: () => void;
  /** First retry delay after a failure, doubled up to 2 s. @default 50 */
  readonly retryMs?: number;
}

const RETRY_MAX_MS = 2000;

/** Fsyncs a directory (its entries: a new or renamed file); some platforms cannot. */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/** See the module comment. */
export class LogWriter {
  /** Where new frames go. */
  segment: Segment | undefined;
  /** Frames appended so far (the last one's number). */
  seq = 0;
  /** Frames written (handed to the kernel), and fsynced. */
  writtenSeq = 0;
  syncedSeq = 0;
  fsyncs = 0;
  bytesWritten = 0;
  failures = 0;
  lastFsyncAtMs: number | undefined;

  private readonly ops: LogFileOps;
  private queue: Pending[] = [];
  private waiters: Waiter[] = [];
  private writing = false;
  private writeError: unknown;
  private syncError: unknown;
  private readonly retryMinMs: number;
  private retryMs: number;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private syncTimer: ReturnType<typeof setInterval> | undefined;
  private readonly segments = new Set<Segment>();
  private readonly retired = new Set<Segment>();
  private closed = false;

  constructor(private readonly o: LogWriterOptions) {
    this.ops = o.fileOps ?? nodeFileOps;
    this.retryMinMs = o.retryMs ?? 50;
    this.retryMs = this.retryMinMs;
  }

  /** True while the log cannot be written or fsynced. */
  get failing(): boolean {
    return this.writeError !== undefined || this.syncError !== undefined;
  }

  /** The current failure, as a message. */
  get lastError(): string | undefined {
    const e = this.writeError ?? this.syncError;
    return e === undefined ? undefined : String((e as Error).message ?? e);
  }

  /** MISCONF, with the cause (Redis: `MISCONF Errors writing to the AOF file: <strerror>`). */
  misconf(): StoreError {
    const cause = this.lastError ?? "unknown error";
    return new StoreError(
      "MISCONF",
      `MISCONF Errors writing to the append-only log: ${cause}. Write commands are refused until it works again; the server retries by itself.`,
    );
  }

  /** Starts the everysec fsync timer (once). */
  start(): void {
    if (this.o.policy === "everysec" && this.syncTimer === undefined) {
      this.syncTimer = setInterval(() => void this.syncNow(), 1000);
      this.syncTimer.unref();
    }
  }

  /**
   * Opens log generation `gen` (header written and fsynced with its directory entry, so a crash
   * never leaves a log without its header) and sends new frames there. Throws if it cannot.
   */
  rotate(gen: number): void {
    const file = join(this.o.dir, `log-${gen}.log`);
    const fd = openSync(file, "w");
    try {
      writeSync(fd, LOG_MAGIC);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    syncDir(this.o.dir);
    const segment: Segment = { gen, file, fd, size: LOG_MAGIC.length, syncedSize: LOG_MAGIC.length };
    if (this.segment !== undefined) this.retired.add(this.segment);
    this.segments.add(segment);
    this.segment = segment;
  }

  /** Queues a frame for the current segment. */
  append(data: Uint8Array): void {
    if (data.length === 0 || this.segment === undefined) return;
    this.queue.push({ segment: this.segment, data, seq: ++this.seq });
    // While failing, the retry timer writes (no retry storm from every new frame).
    if (this.writeError === undefined) void this.drain();
  }

  /**
   * Resolves once frames up to `target` are written (fsynced with `always`); see the module
   * comment for failures. `since`: the caller's {@link seq} when it started.
   */
  waitFor(target: number, since: number): Promise<void> {
    if ((this.o.policy === "always" ? this.syncedSeq : this.writtenSeq) >= target) return Promise.resolve();
    if (this.failing) return target > since ? Promise.reject(this.misconf()) : Promise.resolve();
    return new Promise<void>((resolve, reject) =>
      this.waiters.push({ seq: target, since, writeOnly: false, resolve, reject }),
    );
  }

  /** Resolves once frames up to `target` are written; rejects if the log is or becomes failing. */
  written(target: number): Promise<void> {
    if (this.writtenSeq >= target) return Promise.resolve();
    if (this.writeError !== undefined) return Promise.reject(this.misconf());
    return new Promise<void>((resolve, reject) =>
      this.waiters.push({ seq: target, since: -1, writeOnly: true, resolve, reject }),
    );
  }

  /** Closes the files of generations below `gen` once nothing is queued for them. */
  retireBefore(gen: number): void {
    for (const s of this.segments) if (s.gen < gen) this.retired.add(s);
    if (!this.writing) this.closeRetired();
  }

  private closeRetired(): void {
    for (const s of this.retired) {
      if (s === this.segment || this.queue.some((p) => p.segment === s)) continue;
      this.retired.delete(s);
      this.segments.delete(s);
      try {
        closeSync(s.fd);
      } catch {
        // already closed
      }
    }
  }

  /** The writer loop: one batch at a time, everything queued meanwhile goes in the next one. */
  private async drain(): Promise<void> {
    if (this.writing || this.closed) return;
    this.writing = true;
    let touched: Segment[] = [];
    try {
      while (this.queue.length > 0) {
        const n = this.queue.length;
        const batch = this.queue.slice(0, n);
        touched = [];
        const groups: { segment: Segment; buf: Buffer }[] = [];
        let i = 0;
        while (i < n) {
          const segment = (batch[i] as Pending).segment;
          let j = i;
          let bytes = 0;
          while (j < n && (batch[j] as Pending).segment === segment) bytes += (batch[j++] as Pending).data.length;
          const buf = Buffer.allocUnsafe(bytes);
          let at = 0;
          for (let k = i; k < j; k++) {
            buf.set((batch[k] as Pending).data, at);
            at += (batch[k] as Pending).data.length;
          }
          groups.push({ segment, buf });
          touched.push(segment);
          i = j;
        }
        for (const { segment, buf } of groups) {
          // Positional, from the last good size: a retry rewrites exactly what a failure left partial.
          let off = 0;
          while (off < buf.length) {
            const w = await this.ops.write(segment.fd, buf, off, buf.length - off, segment.size + off);
            if (!(w > 0)) throw new Error(`short write: ${off} of ${buf.length} bytes written, then ${w}`);
            off += w;
          }
        }
        if (this.o.policy === "always") {
          for (const { segment } of groups) await this.ops.datasync(segment.fd);
          this.fsyncs++;
          this.lastFsyncAtMs = this.o.now();
        }
        for (const { segment, buf } of groups) {
          segment.size += buf.length;
          if (this.o.policy === "always") segment.syncedSize = segment.size;
          this.bytesWritten += buf.length;
        }
        this.queue.splice(0, n);
        const top = (batch[n - 1] as Pending).seq;
        this.writtenSeq = top;
        if (this.o.policy === "always") this.syncedSeq = top;
        if (this.writeError !== undefined) {
          this.writeError = undefined;
          if (this.o.policy === "always") this.syncError = undefined;
          this.retryMs = this.retryMinMs;
          this.o.log.info(
            { failures: this.failures },
            "persistence: the log is written again; write commands are accepted",
          );
        }
        this.wake();
      }
    } catch (error) {
      // Give back what a partial write took (a full disk needs it); the next try rewrites it anyway.
      for (const s of touched) await this.ops.truncate(s.fd, s.size).catch(() => {});
      this.fail(error);
    } finally {
      this.writing = false;
    }
    if (this.writeError === undefined) this.closeRetired();
    this.o.onWritten?.();
  }

  private fail(error: unknown): void {
    this.failures++;
    const first = this.writeError === undefined;
    this.writeError = error;
    if (first)
      this.o.log.error(
        { err: error, pendingFrames: this.queue.length },
        "persistence: writing the log failed; write commands are refused (MISCONF) until a retry succeeds",
      );
    this.rejectWaiters();
    if (this.retryTimer === undefined && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.drain();
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    }
  }

  /** On a failure: callers that may have written get MISCONF, the others their answer now. */
  private rejectWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    const error = this.misconf();
    for (const w of waiters) {
      if (w.seq > w.since) w.reject(error);
      else w.resolve();
    }
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    const reached = this.o.policy === "always" ? this.syncedSeq : this.writtenSeq;
    for (const w of this.waiters) {
      if ((w.writeOnly ? this.writtenSeq : reached) >= w.seq) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /** fsync of every segment written since its last fsync (the everysec timer, and close). */
  async syncNow(): Promise<void> {
    const top = this.writtenSeq;
    try {
      for (const s of this.segments) {
        if (s.syncedSize >= s.size) continue;
        const size = s.size;
        await this.ops.datasync(s.fd);
        s.syncedSize = Math.max(s.syncedSize, size);
      }
      this.fsyncs++;
      this.lastFsyncAtMs = this.o.now();
      if (top > this.syncedSeq) this.syncedSeq = top;
      if (this.syncError !== undefined) {
        this.syncError = undefined;
        this.o.log.info({}, "persistence: fsync works again; write commands are accepted");
      }
      this.wake();
    } catch (error) {
      this.failures++;
      if (this.syncError === undefined)
        this.o.log.error(
          { err: error },
          "persistence: fsync failed; write commands are refused (MISCONF) until it works",
        );
      this.syncError = error;
    }
  }

  /** Writes what is queued (one last try if failing), fsyncs and closes every file. */
  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    while (this.writing) await new Promise<void>((r) => setImmediate(r));
    if (this.queue.length > 0) {
      this.writeError = undefined;
      await this.drain();
    }
    this.closed = true;
    const lost = this.queue.length;
    if (lost === 0) await this.syncNow();
    for (const s of this.segments) {
      try {
        closeSync(s.fd);
      } catch {
        // already closed
      }
    }
    this.segments.clear();
    this.retired.clear();
    if (lost > 0)
      throw new Error(
        `persistence: ${lost} unacknowledged frame(s) could not be written at shutdown: ${this.lastError ?? "unknown error"}`,
      );
  }
}
