import { ListEnd } from "../../../shared/gen/memorabilia/v1/lists_service_pb.js";
import { KeyType, TtlStatus } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import type { Clients } from "../api/clients.js";

/** One key of a snapshot: its type, value and absolute deadline (Unix ms, or 0 for none). */
export type SnapshotEntry =
  | { readonly key: string; readonly atMs: number; readonly type: "string"; readonly value: Uint8Array }
  | { readonly key: string; readonly atMs: number; readonly type: "list" | "set"; readonly items: Uint8Array[] }
  | { readonly key: string; readonly atMs: number; readonly type: "hash"; readonly pairs: [Uint8Array, Uint8Array][] }
  | { readonly key: string; readonly atMs: number; readonly type: "zset"; readonly scored: [Uint8Array, number][] };

/** A whole keyspace as the embedded mode keeps it in IndexedDB. */
export interface Snapshot {
  readonly version: 1;
  readonly savedAtMs: number;
  readonly entries: SnapshotEntry[];
}

/** Reads every key, its value and deadline through the API (the embedded store is small). */
export async function takeSnapshot(clients: Clients): Promise<Snapshot> {
  const entries: SnapshotEntry[] = [];
  let cursor = "0";
  do {
    const page = await clients.keys.scan({ cursor, count: 1000 });
    cursor = page.cursor;
    for (const info of page.keys) {
      const key = info.key;
      const atMs = info.ttl?.status === TtlStatus.EXPIRES ? Number(info.ttl.atMs) : 0;
      switch (info.type) {
        case KeyType.STRING: {
          const v = await clients.strings.get({ key });
          if (v.value !== undefined) entries.push({ key, atMs, type: "string", value: v.value });
          break;
        }
        case KeyType.LIST:
          entries.push({
            key,
            atMs,
            type: "list",
            items: (await clients.lists.lRange({ key, start: 0n, stop: -1n })).elements,
          });
          break;
        case KeyType.SET:
          entries.push({ key, atMs, type: "set", items: (await clients.sets.sMembers({ key })).members });
          break;
        case KeyType.HASH:
          entries.push({
            key,
            atMs,
            type: "hash",
            pairs: (await clients.hashes.hGetAll({ key })).fields.map((f) => [f.field, f.value]),
          });
          break;
        case KeyType.ZSET: {
          const z = await clients.sortedSets.zRange({
            key,
            range: { case: "byIndex", value: { start: 0n, stop: -1n } },
            withScores: true,
          });
          entries.push({ key, atMs, type: "zset", scored: z.members.map((m, i) => [m, z.scores[i] as number]) });
          break;
        }
      }
    }
  } while (cursor !== "0");
  return { version: 1, savedAtMs: Date.now(), entries };
}

/** Writes a snapshot's keys back (skipping those whose deadline has passed); returns how many. */
export async function restoreSnapshot(clients: Clients, snapshot: Snapshot): Promise<number> {
  let restored = 0;
  for (const e of snapshot.entries) {
    if (e.atMs && e.atMs <= Date.now()) continue;
    const key = e.key;
    switch (e.type) {
      case "string":
        await clients.strings.set({ key, value: e.value });
        break;
      case "list":
        await clients.lists.push({ key, end: ListEnd.RIGHT, elements: e.items });
        break;
      case "set":
        await clients.sets.sAdd({ key, members: e.items });
        break;
      case "hash":
        await clients.hashes.hSet({ key, fields: e.pairs.map(([field, value]) => ({ field, value })) });
        break;
      case "zset":
        await clients.sortedSets.zAdd({ key, members: e.scored.map(([member, score]) => ({ member, score })) });
        break;
    }
    if (e.atMs) await clients.keys.expire({ key, when: { case: "atMs", value: BigInt(e.atMs) } });
    restored++;
  }
  return restored;
}
