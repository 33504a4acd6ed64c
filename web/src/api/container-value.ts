/**
 * Reads a container's whole value for export, a page at a time (no single reply holds all of a
 * big key): LRANGE and ZRANGE … WITHSCORES by index in pages of {@link PAGE}, HSCAN and SSCAN to
 * the end (duplicates a scan may repeat are dropped), XRANGE from just after the last ID seen (`(id`).
 */
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import type { ContainerValue } from "../model/value-export.js";
import type { Clients } from "./clients.js";

/** Elements per call. */
const PAGE = 1_000;

const keyOf = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
};

/**
 * The whole value of `key` (a list, set, hash, sorted set or stream); `progress` hears the
 * elements read so far; `signal` stops between pages.
 */
export async function readContainer(
  clients: Clients,
  key: string,
  type: KeyType,
  progress: (elements: number) => void = () => {},
  signal?: AbortSignal,
): Promise<ContainerValue> {
  const check = (): void => {
    if (signal?.aborted) throw new Error("cancelled");
  };
  switch (type) {
    case KeyType.LIST: {
      const elements: Uint8Array[] = [];
      for (let start = 0; ; start += PAGE) {
        check();
        const res = await clients.lists.lRange({ key, start: BigInt(start), stop: BigInt(start + PAGE - 1) });
        elements.push(...res.elements);
        progress(elements.length);
        if (res.elements.length < PAGE) return { type: "list", elements };
      }
    }
    case KeyType.ZSET: {
      const members: [Uint8Array, number][] = [];
      for (let start = 0; ; start += PAGE) {
        check();
        const res = await clients.sortedSets.zRange({
          key,
          range: { case: "byIndex", value: { start: BigInt(start), stop: BigInt(start + PAGE - 1) } },
          withScores: true,
        });
        for (let i = 0; i < res.members.length; i++)
          members.push([res.members[i] as Uint8Array, res.scores[i] as number]);
        progress(members.length);
        if (res.members.length < PAGE) return { type: "zset", members };
      }
    }
    case KeyType.HASH: {
      const seen = new Map<string, [Uint8Array, Uint8Array]>();
      let cursor = "0";
      do {
        check();
        const res = await clients.hashes.hScan({ key, cursor, count: PAGE });
        for (const f of res.fields) seen.set(keyOf(f.field), [f.field, f.value]);
        progress(seen.size);
        cursor = res.cursor;
      } while (cursor !== "0");
      return { type: "hash", entries: [...seen.values()] };
    }
    case KeyType.SET: {
      const seen = new Map<string, Uint8Array>();
      let cursor = "0";
      do {
        check();
        const res = await clients.sets.sScan({ key, cursor, count: PAGE });
        for (const m of res.members) seen.set(keyOf(m), m);
        progress(seen.size);
        cursor = res.cursor;
      } while (cursor !== "0");
      return { type: "set", members: [...seen.values()] };
    }
    case KeyType.STREAM: {
      const entries: { id: string; fields: [Uint8Array, Uint8Array][] }[] = [];
      let start = "-";
      for (;;) {
        check();
        const res = await clients.streams.xRange({ key, start, end: "+", count: BigInt(PAGE) });
        for (const e of res.entries) entries.push({ id: e.id, fields: e.fields.map((f) => [f.field, f.value]) });
        progress(entries.length);
        const last = res.entries[res.entries.length - 1];
        if (res.entries.length < PAGE || last === undefined) return { type: "stream", entries };
        start = `(${last.id}`;
      }
    }
    default:
      throw new Error("not a container");
  }
}
