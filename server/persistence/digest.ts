import type { LocalKeyspace } from "../../shared/store/repository.js";
import { RecordWriter } from "./codec.js";
import { crc32 } from "./crc32.js";

/**
 * A checksum of a store's whole content (keys in sorted order, each with its value and deadline,
 * in the persistence encoding). Two stores with the same digest hold the same data; tests use it
 * to prove that a restart, a fuzz run or a replay changed nothing (or exactly what they expect).
 * Keys due at `nowMs` are left out.
 */
export function storeDigest(repo: LocalKeyspace, nowMs: number): { keys: number; crc: number } {
  const keys = [...repo.keys()].sort();
  const w = new RecordWriter();
  let n = 0;
  let crc = 0;
  for (const key of keys) {
    const state = repo.peek(key);
    if (state === undefined || (state.expireAt !== undefined && state.expireAt <= nowMs)) continue;
    w.keyState(key, state.value, state.expireAt);
    n++;
    if (w.length > 1 << 20) crc = (crc * 31 + crc32(w.take())) >>> 0;
  }
  crc = (crc * 31 + crc32(w.take())) >>> 0;
  return { keys: n, crc };
}
