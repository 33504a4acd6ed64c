import type { Bytes } from "./bytes.js";

/** The Redis data types the store holds. */
export type KeyType = "string" | "list" | "hash" | "set" | "zset" | "stream";

/** What every non-string value (list, hash, set, sorted set, stream) implements. */
export interface ContainerValue {
  /** The value's data type. */
  readonly type: Exclude<KeyType, "string">;
  /** Number of elements (LLEN, HLEN, SCARD, ZCARD). An empty container is deleted by commands. */
  readonly size: number;
  /** A deep copy (COPY, transaction rollback, snapshots). */
  clone(): ContainerValue;
  /** Approximate heap bytes held by the elements (for MEMORY USAGE-style introspection). */
  memoryBytes(): number;
  /**
   * The name of the internal representation, reported by OBJECT ENCODING (e.g. `"quicklist"`,
   * `"hashtable"`, `"skiplist"`, or our own structure's name). When absent, OBJECT ENCODING
   * reports the data type's name.
   */
  readonly encoding?: string;
}

/** A stored value: a string value is kept as {@link Bytes} directly (no wrapper object). */
export type Value = Bytes | ContainerValue;

/** The data type of a stored value. */
export function typeOf(value: Value): KeyType {
  return typeof value === "string" ? "string" : value.type;
}
