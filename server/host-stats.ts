/**
 * The persistence and eviction figures the Node server reports, in the runtime-neutral shapes
 * ServerService.Info takes (shared/api cannot import server/) and /metrics reads.
 */
import type { EvictionUsage, PersistenceUsage } from "../shared/api/index.js";
import type { Evictor } from "../shared/store/eviction.js";
import type { LoadReport, Persistence } from "./persistence/types.js";

/** Readers of the server's persistence and eviction counters; each absent when the feature is off. */
export interface HostStats {
  readonly persistence?: () => PersistenceUsage;
  readonly eviction?: () => EvictionUsage;
}

/** The readers over what the server started (`loaded` is what persistence loaded at start). */
export function hostStats(
  persistence: Persistence | undefined,
  loaded: LoadReport | undefined,
  evictor: Evictor | undefined,
): HostStats {
  const dropped = loaded?.dropped.reduce((sum, d) => sum + d.bytes, 0) ?? 0;
  return {
    persistence:
      persistence === undefined
        ? undefined
        : () => {
            const s = persistence.stats();
            return {
              fsync: s.fsync,
              logBytes: s.logBytes,
              lastFsyncAtMs: s.lastFsyncAtMs,
              fsyncs: s.fsyncs,
              lastSnapshotAtMs: s.lastSnapshotAtMs,
              lastSnapshotMs: s.lastSnapshotMs,
              snapshots: s.snapshots,
              recordsWritten: s.recordsWritten,
              bytesWritten: s.bytesWritten,
              loadedKeys: loaded?.keys ?? 0,
              loadMs: loaded?.ms ?? 0,
              corruptTailBytesDropped: dropped,
              lastError: s.lastError,
            };
          },
    eviction: evictor === undefined ? undefined : () => evictor.stats(),
  };
}
