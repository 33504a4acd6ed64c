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
import { closeSync, copyFileSync, fstatSync, openSync, readSync, truncateSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ByteReader, type Latin1Decoder, MalformedDataError } from "../../shared/store/byte-io.js";
import type { KeyspaceView, LocalKeyspace } from "../../shared/store/repository.js";
import { readValueBody } from "../../shared/store/value-codec.js";
import { Op } from "./codec.js";
import { DEFAULT_CHUNK_BYTES, type Region, type ScanReport, scanFile, scanFileV1 } from "./frame-scanner.js";
import { LOG_MAGIC, LOG_MAGIC_V1, MAGIC_BYTES, SNAP_MAGIC, SNAP_MAGIC_V1 } from "./frames.js";
import type { CorruptPolicy, DroppedTail, FileDamage } from "./types.js";

/** Node's latin1 decoding (one byte per code unit): the scanner's window is a Buffer. */
const latin1: Latin1Decoder = (data, from, to) => (data as Buffer).toString("latin1", from, to);

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

  const loadFile = (file: string, isSnapshot: boolean): void => {
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
      // One synchronous pass inside one atomic call: the records apply at the load's time.
      const scan: ScanReport = o.repo.atomic(null, o.now, (view) => {
        applier = new Applier(view, o.now);
        return v1
          ? scanFileV1(fd, size, MAGIC_BYTES, sink, chunk)
          : scanFile(fd, size, Math.min(size, MAGIC_BYTES), sink, chunk);
      });
      frames += scan.frames;
      expiredSkipped += applier.expiredSkipped;
      const regions = [...headerDamage, ...scan.damaged];
      let tail = scan.tail;
      if (isSnapshot && tail === undefined && applier.endKeys === undefined)
        tail = { offset: scan.validEnd, bytes: 0, reason: "snapshot has no end marker", torn: false };
      const skippedKeys =
        isSnapshot && applier.endKeys !== undefined ? Math.max(0, applier.endKeys - applier.records) : undefined;
      if (regions.length === 0 && tail === undefined) return;
      const all = tail === undefined ? regions : [...regions, tail];
      for (const r of all) dropped.push({ file, offset: r.offset, bytes: r.bytes, reason: r.reason });
      const tornOnly = regions.length === 0 && tail?.torn === true;
      if (o.onCorrupt === "refuse") {
        const first = all[0] as Region;
        throw new PersistenceError(
          `${file}: ${first.reason} at offset ${first.offset}${all.length > 1 ? ` (and ${all.length - 1} more damaged region(s))` : ""}; ${all.reduce((n, r) => n + r.bytes, 0)} bytes cannot be loaded. Refusing to start (--on-corrupt-tail=refuse); --on-corrupt-tail=skip loads every frame that verifies and keeps the damaged file aside.`,
          dropped,
        );
      }
      let keptAs: string | undefined;
      if (!tornOnly) {
        keptAs = `${file}.corrupt-${Date.now()}`;
        copyFileSync(file, keptAs);
        needSnapshot = true;
      }
      if (!isSnapshot && tail !== undefined) truncateSync(file, tail.offset);
      damage.push({
        file,
        keptAs,
        regions: all.length,
        bytes: all.reduce((n, r) => n + r.bytes, 0),
        skippedKeys,
        tornTail: tornOnly,
      });
    } finally {
      closeSync(fd);
    }
  };

  if (snapGen !== undefined) {
    snapshotFile = join(o.dir, `snapshot-${snapGen}.snap`);
    o.log.info({ file: snapshotFile }, "loading snapshot");
    loadFile(snapshotFile, true);
  }
  for (const g of logs) {
    if (snapGen !== undefined && g < snapGen) continue;
    const file = join(o.dir, `log-${g}.log`);
    logFiles.push(file);
    loadFile(file, false);
  }
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
  };
}
