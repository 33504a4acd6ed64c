import type { KeyInfo } from "../../../shared/gen/memorabilia/v1/keys_service_pb.js";
import { type KeyTtl, KeyType, TtlStatus } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { EventClass } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";

/** A key as the browser holds it: the deadline is local (now + ttl when read), so TTLs tick without requests. */
export interface KeyRow {
  readonly key: string;
  type: KeyType;
  /** Local time (Date.now() scale) the key expires at, or null for no expiry. */
  deadline: number | null;
  /** Bytes of a string, elements of a container; -1 while unknown. */
  size: number;
  /** Bytes the key and its value hold (MEMORY USAGE): -1 while unknown, -2 when it cannot be read. */
  memory: number;
  /** Set when the key was added by a live event (such keys are listed first), the local time. */
  liveAt: number;
  /** A change was seen that the row does not reflect yet (size, maybe type). */
  dirty: boolean;
  /** When size and memory were last read (local time); 0 when never (a key added live). */
  readAt: number;
  /**
   * The type and deadline came with the live event that last changed the row (a coalesced event
   * carries the key's class and its TTL read when it was sent): a re-read needs only its size and
   * memory.
   */
  known?: boolean;
}

/** The local deadline of a TTL read at `now`: null without expiry, `now` when the key is gone. */
export function deadlineOf(ttl: KeyTtl | undefined, now: number): number | null {
  if (!ttl || ttl.status === TtlStatus.NO_EXPIRY || ttl.status === TtlStatus.UNSPECIFIED) return null;
  if (ttl.status === TtlStatus.NO_SUCH_KEY) return now;
  return now + Number(ttl.ttlMs);
}

/** A row from a Scan result read at `now`. */
export function rowOf(info: KeyInfo, now: number): KeyRow {
  return {
    key: info.key,
    type: info.type,
    deadline: deadlineOf(info.ttl, now),
    size: Number(info.size),
    memory: -1,
    liveAt: 0,
    dirty: false,
    readAt: now,
  };
}

/** The type an event class implies (`string` for `$` events, …); UNSPECIFIED for generic ones. */
export function typeOfClass(cls: EventClass): KeyType {
  switch (cls) {
    case EventClass.STRING:
      return KeyType.STRING;
    case EventClass.LIST:
      return KeyType.LIST;
    case EventClass.HASH:
      return KeyType.HASH;
    case EventClass.SET:
      return KeyType.SET;
    case EventClass.ZSET:
      return KeyType.ZSET;
    default:
      return KeyType.UNSPECIFIED;
  }
}
