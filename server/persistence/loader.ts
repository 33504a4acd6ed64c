/**
 * Loading a data dir at start: the newest snapshot, then the logs from its generation on, each
 * streamed through the frame scanner and applied straight to the repository (one synchronous
 * pass: nothing is served while loading).
 *
 * Damage is handled per file (see {@link FilePersistence} for the policy): the damaged file is
 * copied aside untouched (`<name>.corrupt-<ms>`), what verifies is loaded, and the caller writes a
 * fresh snapshot so the damaged file is compacted away. A torn tail (only an incomplete last frame)
 * is cut off the log. With `refuse`, any unloadable byte stops the start instead.
 */
import { closeSync, copyFileSync, fstatSync, openSync, readSync, renameSync, truncateSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ByteReader, type Latin1Decoder, MalformedDataError, shortLatin1 } from "../../shared/store/byte-io.js";
import type { KeyspaceView, LocalKeyspace } from "../../shared/store/repository.js";
import { readValueBody } from "../../shared/store/value-codec.js";
import { Op } from "./codec.js";
import { frameCrc } from "./frame-crc.js";
import {
  DEFAULT_CHUNK_BYTES,
  type Region,
  type ScanReport,
  scanFile,
  scanFileV1,
  type TailRegion,
} from "./frame-scanner.js";
import { FRAME_HEADER_BYTES, LOG_MAGIC, LOG_MAGIC_V1, MAGIC_BYTES, SNAP_MAGIC, SNAP_MAGIC_V1, SYNC } from "./frames.js";
import { sampleSnapshotKeys } from "./key-sample.js";
import type { CorruptPolicy, DroppedTail, FileDamage } from "./types.js";

/** Byte strings from the scanner's window (a Buffer): short ones in JS, longer ones by Node. */
const latin1: Latin1Decoder = (data, from, to) =>
  shortLatin1(data, from, to - from) ?? (data as Buffer).toString("latin1", from, to);

/** A log line sink (pino's shape). */
export interface PersistenceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Thrown when saved state must not be loaded (`refuse`) or the data dir cannot be used. */
export class PersistenceError extends Error {
  override readonly name = "PersistenceError";
  constructor(
    message: string,
    readonly dropped: readonly DroppedTail[] = [],
  ) {
    super(message);
  }
}

/** Applies payloads' operations to a key view, counting what it did. */
class Applier {
  private readonly reader: ByteReader;
  /** Records applied (puts and deletes). */
  records = 0;
  expiredSkipped = 0;
  /** The key count of a snapshot's END record, when one was read. */
  endKeys: number | undefined;

  constructor(
    private readonly view: KeyspaceView,
    private readonly now: number,
  ) {
    this.reader = new ByteReader(new Uint8Array(0), 0, 0, latin1);
  }

  readonly apply = (data: Uint8Array, from: number, to: number): void => {
    const r = this.reader;
    const view = this.view;
    r.reset(data, from, to);
    while (r.at < r.end) {
      const op = r.u8();
      if (op === Op.FLUSH) {
        view.flush();
        continue;
      }
      if (op === Op.END) {
        this.endKeys = r.u32();
        continue;
      }
      const key = r.bytes();
      this.records++;
      if (op === Op.DEL) {
        view.remove(key);
        continue;
      }
      const deadline = r.f64();
      const value = readValueBody(r, op);
      if (deadline >= 0 && deadline <= this.now) {
        this.expiredSkipped++;
        view.remove(key); // due: never resurrected (a snapshot may hold an older state)
        continue;
      }
      view.put(key, value);
      if (deadline >= 0) view.setExpireAt(key, deadline);
    }
  };
}

/** What {@link loadDataDir} did. */
export interface LoadOutcome {
  readonly snapshotFile: string | undefined;
  readonly logFiles: readonly string[];
  readonly frames: number;
  readonly expiredSkipped: number;
  readonly dropped: readonly DroppedTail[];
  readonly damage: readonly FileDamage[];
  /** The highest generation found (new files use higher ones). */
  readonly gen: number;
  /** Bytes of the logs loaded, and of the snapshot (the next snapshot's trigger). */
  readonly logBytes: number;
  readonly snapshotBytes: number;
  /** Something was damaged or in the old format: write a fresh snapshot once started. */
  readonly needSnapshot: boolean;
  /**
   * The generation the loaded state rests on (its snapshot's, 0 for logs from the first): kept,
   * with the logs from it on, until the next snapshot is written — the fallback if that one is
   * ever found damaged.
   */
  readonly baseGen: number;
}

/** Options of {@link loadDataDir}. */
export interface LoadOptions {
  readonly dir: string;
  readonly repo: LocalKeyspace;
  readonly now: number;
  readonly onCorrupt: CorruptPolicy;
  readonly log: PersistenceLogger;
  /** Read size of the streaming loader. @default 8 MiB */
  readonly chunkBytes?: number;
}

const genOf = (name: string, prefix: string, suffix: string): number | undefined => {
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return undefined;
  const n = Number(name.slice(prefix.length, name.length - suffix.length));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/** The generation of a file name (`log-<gen>.log`, `snapshot-<gen>.snap`), if it is one. */
export function logGen(name: string): number | undefined {
  return genOf(name, "log-", ".log");
}
export function snapshotGen(name: string): number | undefined {
  return genOf(name, "snapshot-", ".snap");
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.every((x, i) => b[i] === x);

/** Bytes of a snapshot's last frame: a header, then `END` and its u32 key count. */
const END_FRAME_BYTES = FRAME_HEADER_BYTES + 5;

/**
 * The key count a format-2 snapshot's END frame announces, read from the file's last bytes before
 * the scan, or undefined when that frame is not there intact. Only a sizing hint for the
 * keyspace's tables (the scan decides what loads): capped by what the file could hold.
 */
function announcedKeys(fd: number, size: number): number | undefined {
  if (size < MAGIC_BYTES + END_FRAME_BYTES) return undefined;
  const b = Buffer.allocUnsafe(END_FRAME_BYTES);
  if (readSync(fd, b, 0, END_FRAME_BYTES, size - END_FRAME_BYTES) !== END_FRAME_BYTES) return undefined;
  const ok =
    b.readUInt32BE(0) === SYNC &&
    b.readUInt32BE(4) === 5 &&
    b.readUInt32BE(12) === frameCrc(b, 0, 12) &&
    b.readUInt32BE(8) === frameCrc(b, FRAME_HEADER_BYTES, END_FRAME_BYTES) &&
    b[FRAME_HEADER_BYTES] === Op.END;
  return ok ? Math.min(b.readUInt32BE(FRAME_HEADER_BYTES + 1), Math.floor(size / END_FRAME_BYTES)) : undefined;
}

/** Loads `dir` into the (empty) repository. Throws {@link PersistenceError} on refusal. */
export async function loadDataDir(o: LoadOptions): Promise<LoadOutcome> {
  await mkdir(o.dir, { recursive: true });
  const names = await readdir(o.dir);
  const snaps: number[] = [];
  const logs: number[] = [];
  for (const name of names) {
    if (name.endsWith(".tmp")) {
      await rm(join(o.dir, name), { recursive: true, force: true }); // an interrupted snapshot: its log still holds the data
      continue;
    }
    const s = snapshotGen(name);
    if (s !== undefined) snaps.push(s);
    const l = logGen(name);
    if (l !== undefined) logs.push(l);
  }
  snaps.sort((a, b) => a - b);
  logs.sort((a, b) => a - b);
  const snapGen = snaps.at(-1);
  const dropped: DroppedTail[] = [];
  const damage: FileDamage[] = [];
  let frames = 0;
  let needSnapshot = false;
  let logBytes = 0;
  let snapshotBytes = 0;
  let expiredSkipped = 0;
  const logFiles: string[] = [];
  let snapshotFile: string | undefined;

  /** What one file's scan found; the policy is applied by `settle`. */
  interface FileScan {
    readonly file: string;
    readonly isSnapshot: boolean;
    readonly regions: readonly Region[];
    readonly tail: TailRegion | undefined;
    readonly skippedKeys: number | undefined;
  }

  /** Streams `file` into the repository (every frame that verifies), returning what was unloadable. */
  const scanInto = (file: string, isSnapshot: boolean): FileScan => {
    const fd = openSync(file, "r");
    try {
      const size = fstatSync(fd).size;
      if (isSnapshot) snapshotBytes = size;
      else logBytes += size;
      const head = new Uint8Array(MAGIC_BYTES);
      const headBytes = size >= MAGIC_BYTES ? readSync(fd, head, 0, MAGIC_BYTES, 0) : 0;
      const v1 = headBytes === MAGIC_BYTES && sameBytes(isSnapshot ? SNAP_MAGIC_V1 : LOG_MAGIC_V1, head);
      const v2 = headBytes === MAGIC_BYTES && sameBytes(isSnapshot ? SNAP_MAGIC : LOG_MAGIC, head);
      let applier = new Applier(o.repo, o.now);
      let lastReport = performance.now();
      let applied = 0;
      const sink = (data: Uint8Array, from: number, to: number, offset: number): void => {
        try {
          applier.apply(data, from, to);
        } catch (error) {
          if (!(error instanceof MalformedDataError)) throw error;
          // The CRC held, so these are the bytes written: a writer bug or a foreign file, not damage.
          throw new PersistenceError(
            `${file}: the frame at offset ${offset} verifies but does not parse (${error.message}); not loading this data dir`,
          );
        }
        if ((++applied & 4095) === 0 && performance.now() - lastReport > 1000) {
          lastReport = performance.now();
          o.log.info(
            { file, offset, bytes: size, percent: Math.round((offset / size) * 100) },
            "loading persisted data",
          );
        }
      };
      const chunk = o.chunkBytes ?? DEFAULT_CHUNK_BYTES;
      const headerDamage: Region[] = [];
      // A damaged header does not hide the frames after it: they are scanned all the same.
      if (!v1 && !v2 && size > 0)
        headerDamage.push({ offset: 0, bytes: Math.min(size, MAGIC_BYTES), reason: "bad file header" });
      if (v1) needSnapshot = true; // rewritten in the current format once started
      const keys = isSnapshot && v2 ? announcedKeys(fd, size) : undefined;
      // The layout hint: the announced count and keys read across the file (its start is one lane's).
      if (keys !== undefined && o.repo.reserve !== undefined)
        o.repo.reserve(keys, sampleSnapshotKeys(fd, size, MAGIC_BYTES));
      // One synchronous pass inside one atomic call: the records apply at the load's time.
      const scan: ScanReport = o.repo.atomic(null, o.now, (view) => {
        applier = new Applier(view, o.now);
        return v1
          ? scanFileV1(fd, size, MAGIC_BYTES, sink, chunk)
          : scanFile(fd, size, Math.min(size, MAGIC_BYTES), sink, chunk);
      });
      frames += scan.frames;
      expiredSkipped += applier.expiredSkipped;
      let tail = scan.tail;
      // A snapshot is renamed into place only once fsynced: a cut one is damage, never a torn write.
      if (isSnapshot && tail?.torn === true) tail = { ...tail, torn: false };
      if (isSnapshot && tail === undefined && applier.endKeys === undefined)
        tail = { offset: scan.validEnd, bytes: 0, reason: "snapshot has no end marker", torn: false };
      const skippedKeys =
        isSnapshot && applier.endKeys !== undefined ? Math.max(0, applier.endKeys - applier.records) : undefined;
      return { file, isSnapshot, regions: [...headerDamage, ...scan.damaged], tail, skippedKeys };
    } finally {
      closeSync(fd);
    }
  };

  const isDamaged = (f: FileScan): boolean => f.regions.length > 0 || (f.tail !== undefined && !f.tail.torn);

  /**
   * Applies the damage policy to a scanned file: refuse, or keep the damaged file aside (moved
   * when `recoveredFrom` says nothing of it is needed any more) and cut a torn log tail.
   */
  const settle = (f: FileScan, recoveredFrom?: string): void => {
    const { file, regions, tail } = f;
    if (regions.length === 0 && tail === undefined) return;
    const all = tail === undefined ? regions : [...regions, tail];
    for (const r of all) dropped.push({ file, offset: r.offset, bytes: r.bytes, reason: r.reason });
    const tornOnly = regions.length === 0 && tail?.torn === true;
    if (o.onCorrupt === "refuse" && recoveredFrom === undefined) {
      const first = all[0] as Region;
      throw new PersistenceError(
        `${file}: ${first.reason} at offset ${first.offset}${all.length > 1 ? ` (and ${all.length - 1} more damaged region(s))` : ""}; ${all.reduce((n, r) => n + r.bytes, 0)} bytes cannot be loaded. Refusing to start (--on-corrupt-tail=refuse); --on-corrupt-tail=skip loads every frame that verifies and keeps the damaged file aside.`,
        dropped,
      );
    }
    let keptAs: string | undefined;
    if (!tornOnly) {
      keptAs = `${file}.corrupt-${Date.now()}`;
      // Nothing of a snapshot recovered from the previous generation is needed: move it out of
      // the way (a later fallback must not pick it); otherwise its good frames still count.
      if (recoveredFrom !== undefined) renameSync(file, keptAs);
      else copyFileSync(file, keptAs);
      needSnapshot = true;
    }
    if (!f.isSnapshot && tail !== undefined) truncateSync(file, tail.offset);
    damage.push({
      file,
      keptAs,
      regions: all.length,
      bytes: all.reduce((n, r) => n + r.bytes, 0),
      skippedKeys: recoveredFrom !== undefined ? 0 : f.skippedKeys,
      tornTail: tornOnly,
      ...(recoveredFrom !== undefined ? { recoveredFrom } : {}),
    });
  };

  const logsFrom = (from: number, below = Number.POSITIVE_INFINITY): number[] =>
    logs.filter((g) => g >= from && g < below);
  const loadLogs = (gens: readonly number[]): void => {
    for (const g of gens) {
      const file = join(o.dir, `log-${g}.log`);
      logFiles.push(file);
      settle(scanInto(file, false));
    }
  };

  // The previous generation, kept by FilePersistence until a newer snapshot exists: the
  // snapshot before the newest one, or — before a second snapshot — the logs from the very
  // first (log-1), which start from an empty keyspace.
  const prevSnap = snaps.at(-2);
  const fallbackBase = prevSnap ?? (snapGen !== undefined && logs[0] === 1 && logs[0] < snapGen ? 0 : undefined);
  let baseGen = snapGen ?? 0;
  if (snapGen !== undefined) {
    snapshotFile = join(o.dir, `snapshot-${snapGen}.snap`);
    o.log.info({ file: snapshotFile }, "loading snapshot");
    const newest = scanInto(snapshotFile, true);
    if (isDamaged(newest) && fallbackBase !== undefined) {
      // A damaged newest snapshot: start over from the previous generation, which holds every
      // key as of the newest snapshot's start (and the logs since hold every later change).
      const newestFile = snapshotFile;
      o.repo.atomic(null, o.now, (view) => view.flush());
      const damagedBefore = damage.length;
      let prevFile: string | undefined;
      if (prevSnap !== undefined) {
        prevFile = join(o.dir, `snapshot-${prevSnap}.snap`);
        o.log.warn(
          { damaged: newestFile, fallback: prevFile },
          "newest snapshot is damaged: loading the previous generation",
        );
        settle(scanInto(prevFile, true));
      } else {
        o.log.warn({ damaged: newestFile }, "newest snapshot is damaged: replaying the logs from the first one");
      }
      loadLogs(logsFrom(fallbackBase, snapGen));
      const wholeFallback = damage.slice(damagedBefore).every((d) => d.tornTail);
      baseGen = fallbackBase;
      snapshotFile = prevFile;
      if (wholeFallback) {
        settle(newest, prevFile ?? join(o.dir, `log-${logs[0]}.log`));
      } else {
        // Both generations are damaged: the newest snapshot's good frames go over the older
        // state (each is a key's whole state at or after the older chain's end), so a key is
        // lost only when damaged in both.
        settle(scanInto(newestFile, true));
        snapshotFile = newestFile;
      }
    } else {
      settle(newest);
    }
  }
  loadLogs(logsFrom(snapGen ?? 0));
  return {
    snapshotFile,
    logFiles,
    frames,
    expiredSkipped,
    dropped,
    damage,
    gen: Math.max(snapGen ?? 0, logs.at(-1) ?? 0),
    logBytes,
    snapshotBytes,
    needSnapshot,
    baseGen,
  };
}
