/**
 * The outbox: every commit that has keyspace events puts them, in the same etcd transaction, at
 * one key (`P e`); every server watches that key and emits each revision's events into its store's
 * event bus. So every server sees every server's changes, once, in etcd's global revision order,
 * and a MULTI's events arrive together (SCALE-OUT §2.4).
 */
import type { EventClass, KeyspaceEvent } from "../../../shared/store/events.js";

// Indexes travel in the outbox: new classes go at the end.
const CLASSES: readonly EventClass[] = [
  "generic",
  "string",
  "list",
  "hash",
  "set",
  "zset",
  "expired",
  "evicted",
  "stream",
];

/** Encodes one commit's events (JSON; keys are byte strings, so they survive as code units). */
export function encodeEvents(server: string, events: readonly KeyspaceEvent[]): Buffer {
  const rows = events.map((e) => [e.event, CLASSES.indexOf(e.class), e.key, e.atMs]);
  return Buffer.from(JSON.stringify({ s: server, e: rows }), "utf8");
}

/** Decodes an outbox value; undefined when it is not one (a foreign writer). */
export function decodeEvents(data: Buffer): { server: string; events: KeyspaceEvent[] } | undefined {
  try {
    const body = JSON.parse(data.toString("utf8")) as { s: string; e: [string, number, string, number][] };
    const events = body.e.map(([event, cls, key, atMs]) => ({
      event,
      class: CLASSES[cls] ?? "generic",
      key,
      atMs,
    }));
    return { server: body.s, events };
  } catch {
    return undefined;
  }
}
