/**
 * The persistence seam: the Node host implements it over files ({@link FilePersistence}); a
 * browser embedded mode (IndexedDB) or a future engine implements its own. Runtime-neutral.
 */

/** When a write reaches the disk. */
export type FsyncPolicy = "always" | "everysec" | "no";

/**
 * What to do at start with bytes of a log or snapshot that do not verify: `skip` loads every frame
 * that verifies, keeps a copy of a damaged file aside and cuts a torn tail off the log (`truncate`
 * is its former name); `refuse` does not start.
 */
export type CorruptPolicy = "skip" | "truncate" | "refuse";
/** @deprecated the former name of {@link CorruptPolicy}. */
export type CorruptTailPolicy = CorruptPolicy;

/** What loading found wrong with one file, and did about it. */
export interface FileDamage {
  readonly file: string;
  /** The untouched copy kept aside (undefined for a torn tail, which is only cut off). */
  readonly keptAs: string | undefined;
  /** Unloadable regions. */
  readonly regions: number;
  /** Bytes in them. */
  readonly bytes: number;
  /** For a snapshot whose end record survived: keys it held that could not be loaded. */
  readonly skippedKeys: number | undefined;
  /** Only an incomplete last frame (a crash during a write). */
  readonly tornTail: boolean;
  /**
   * A damaged newest snapshot whose every key came back from the previous generation (the older
   * snapshot and the logs since, kept until a newer snapshot exists): the file that supplied them.
   * `skippedKeys` is then 0.
   */
  readonly recoveredFrom?: string;
}

/** A part of a file that recovery could not read and skipped (or refused). */
export interface DroppedTail {
  readonly file: string;
  /** Offset of the first byte not loaded. */
  readonly offset: number;
  /** Bytes from `offset` to the end of the file. */
  readonly bytes: number;
  /** Why the frame there is invalid. */
  readonly reason: string;
}

/** The result of loading saved state at start. */
export interface LoadReport {
  /** Keys present after loading (expired ones not resurrected). */
  readonly keys: number;
  /** Keys skipped because their deadline had passed. */
  readonly expiredSkipped: number;
  /** Frames applied (snapshot and logs). */
  readonly frames: number;
  readonly snapshotFile: string | undefined;
  readonly logFiles: readonly string[];
  /** Every unloadable region found (skipped, or the reason for a refusal). */
  readonly dropped: readonly DroppedTail[];
  /** Per damaged file: what was kept aside and skipped. */
  readonly damage: readonly FileDamage[];
  readonly ms: number;
  /** CPU time of the process (every thread: the garbage collector's helpers too) during the load. */
  readonly cpuMs: number;
}

/** The result of one snapshot. */
export interface SnapshotReport {
  readonly file: string;
  readonly keys: number;
  readonly bytes: number;
  readonly ms: number;
  /** Longest synchronous slice while iterating the keyspace. */
  readonly longestSliceMs: number;
}

/** Counters of a persistence layer. */
export interface PersistenceStats {
  readonly fsync: FsyncPolicy;
  readonly logBytes: number;
  readonly framesWritten: number;
  readonly fsyncs: number;
  readonly snapshots: number;
  readonly lastSnapshotAtMs: number | undefined;
  readonly lastError: string | undefined;
  /** When the log was last fsynced (Unix ms), undefined before the first fsync. */
  readonly lastFsyncAtMs: number | undefined;
  /** How long the last snapshot took (ms), undefined before the first. */
  readonly lastSnapshotMs: number | undefined;
  /** Key records (a key's state or its deletion) appended to the log since start. */
  readonly recordsWritten: number;
  /** Bytes appended to the log since start (headers excluded). */
  readonly bytesWritten: number;
  /** Failed log writes or fsyncs since start (each retried until it succeeds). */
  readonly writeFailures: number;
}

/** Saves every change of a store and restores it at start. */
export interface Persistence {
  /** Restores saved state into the (empty) store. Call once, before {@link start}. */
  load(): Promise<LoadReport>;
  /** Starts recording every change. */
  start(): void;
  /**
   * The log position now (changes pending in this turn are encoded first). A caller takes it when
   * a call starts and passes it to {@link durable} when the call ends.
   */
  mark(): number;
  /**
   * Resolves once every change made before this call has reached the log as the policy promises:
   * written (handed to the kernel, so a crash of the process loses nothing) in every mode, and
   * fsynced too with `always`. While the log is failing: rejects with MISCONF when changes were
   * made since `since` (the caller may have written: outcome unknown, it is retried by the log),
   * else resolves at once — a call that changed nothing never waits on a broken log.
   * @param since a {@link mark} from when the caller started (default: assume it wrote)
   */
  durable(since?: number): Promise<void>;
  /** True while the log cannot be written (the server then refuses write commands: MISCONF). */
  readonly failing: boolean;
  /** The error to answer while {@link failing} (a `StoreError` with code MISCONF). */
  misconf(): Error;
  /** Writes a snapshot in the background and drops the log it covers. */
  snapshot(): Promise<SnapshotReport>;
  stats(): PersistenceStats;
  /** Writes what is pending, fsyncs and closes. */
  close(): Promise<void>;
}
