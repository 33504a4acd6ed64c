/**
 * The persistence seam: the Node host implements it over files ({@link FilePersistence}); a
 * browser embedded mode (IndexedDB) or a future engine implements its own. Runtime-neutral.
 */

/** When a write reaches the disk. */
export type FsyncPolicy = "always" | "everysec" | "no";

/** What to do when a log or snapshot ends in a torn or corrupt frame. */
export type CorruptTailPolicy = "truncate" | "refuse";

/** A part of a file that recovery could not read and dropped (or refused). */
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
  /** Torn or corrupt tails found (and, with `truncate`, cut off). */
  readonly dropped: readonly DroppedTail[];
  readonly ms: number;
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
}

/** Saves every change of a store and restores it at start. */
export interface Persistence {
  /** Restores saved state into the (empty) store. Call once, before {@link start}. */
  load(): Promise<LoadReport>;
  /** Starts recording every change. */
  start(): void;
  /**
   * Resolves once every change made before the call is durable as the policy promises: fsynced
   * with `always`, handed to the OS otherwise. Rejects if the write failed.
   */
  durable(): Promise<void>;
  /** True while writes are failing (the server then refuses write commands, like Redis's MISCONF). */
  readonly failing: boolean;
  /** Writes a snapshot in the background and drops the log it covers. */
  snapshot(): Promise<SnapshotReport>;
  stats(): PersistenceStats;
  /** Writes what is pending, fsyncs and closes. */
  close(): Promise<void>;
}
