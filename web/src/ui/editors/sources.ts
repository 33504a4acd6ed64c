import { ListEnd } from "../../../../shared/gen/memorabilia/v1/lists_service_pb.js";
import type { Clients } from "../../api/clients.js";
import { preview, text, toHex, utf8 } from "../../model/bytes.js";
import type { Element, ElementSource } from "./element-table.js";

/** Elements per page of every container table. */
export const PAGE = 50;

const bytesOf = (item: Element) => item.ref as Uint8Array;
/** The bytes of column `i` of a form (empty when absent). */
const at = (values: readonly Uint8Array[], i: number): Uint8Array => values[i] ?? new Uint8Array();
/** The id of an element known by its bytes: hex, so elements whose previews match stay apart. */
const idOf = (bytes: Uint8Array) => toHex(bytes);

/** A list: pages by index (LRANGE); edit is LSET; remove is LSET to a unique marker then LREM. */
export function listSource(clients: Clients, key: string): ElementSource {
  return {
    columns: [{ name: "Index", number: true }, { name: "Element" }],
    editable: [1],
    addFields: [{ name: "element" }],
    addModes: ["tail (RPUSH)", "head (LPUSH)"],
    async load(token) {
      const start = Number(token);
      const res = await clients.lists.lRange({ key, start: BigInt(start), stop: BigInt(start + PAGE) });
      const items = res.elements.slice(0, PAGE).map((el, i) => ({
        id: String(start + i),
        cells: [String(start + i), preview(el)],
        values: [utf8(String(start + i)), el],
        ref: start + i,
      }));
      return { items, next: res.elements.length > PAGE ? String(start + PAGE) : null };
    },
    async save(item, values) {
      await clients.lists.lSet({ key, index: BigInt(item.ref as number), element: at(values, 1) });
    },
    async remove(item) {
      const marker = utf8(`\u0000memorabilia-console-removed:${crypto.randomUUID()}`);
      await clients.lists.lSet({ key, index: BigInt(item.ref as number), element: marker });
      await clients.lists.lRem({ key, count: 1n, element: marker });
    },
    async add(values, mode) {
      const end = mode.startsWith("head") ? ListEnd.LEFT : ListEnd.RIGHT;
      await clients.lists.push({ key, end, elements: [at(values, 0)] });
    },
  };
}

/** A hash: pages by HSCAN cursor; edit and add are HSET; remove is HDEL. */
export function hashSource(clients: Clients, key: string): ElementSource {
  return {
    columns: [{ name: "Field" }, { name: "Value" }],
    editable: [1],
    addFields: [{ name: "field" }, { name: "value" }],
    async load(token) {
      const res = await clients.hashes.hScan({ key, cursor: token, count: PAGE });
      const items = res.fields.map((f) => ({
        id: idOf(f.field),
        cells: [preview(f.field), preview(f.value)],
        values: [f.field, f.value],
        ref: f.field,
      }));
      return { items, next: res.cursor === "0" ? null : res.cursor };
    },
    async save(item, values) {
      await clients.hashes.hSet({ key, fields: [{ field: bytesOf(item), value: at(values, 1) }] });
    },
    async remove(item) {
      await clients.hashes.hDel({ key, fields: [bytesOf(item)] });
    },
    async add(values) {
      await clients.hashes.hSet({ key, fields: [{ field: at(values, 0), value: at(values, 1) }] });
    },
  };
}

/** A set: pages by SSCAN cursor; edit replaces the member (SREM then SADD); remove is SREM. */
export function setSource(clients: Clients, key: string): ElementSource {
  return {
    columns: [{ name: "Member" }],
    editable: [0],
    addFields: [{ name: "member" }],
    async load(token) {
      const res = await clients.sets.sScan({ key, cursor: token, count: PAGE });
      const items = res.members.map((m) => ({ id: idOf(m), cells: [preview(m)], values: [m], ref: m }));
      return { items, next: res.cursor === "0" ? null : res.cursor };
    },
    async save(item, values) {
      await clients.sets.sAdd({ key, members: [at(values, 0)] });
      await clients.sets.sRem({ key, members: [bytesOf(item)] });
    },
    async remove(item) {
      await clients.sets.sRem({ key, members: [bytesOf(item)] });
    },
    async add(values) {
      await clients.sets.sAdd({ key, members: [at(values, 0)] });
    },
  };
}

const parseScore = (bytes: Uint8Array | undefined): number => {
  const typed = bytes ? text(bytes) : "";
  const score = Number(typed);
  if (typed.trim() === "" || Number.isNaN(score)) throw new Error("the score must be a number");
  return score;
};

/** A sorted set: pages by rank (ZRANGE WITHSCORES); edit sets the score (ZADD); remove is ZREM. */
export function zsetSource(clients: Clients, key: string): ElementSource {
  return {
    columns: [{ name: "Member" }, { name: "Score", number: true }],
    editable: [1],
    addFields: [{ name: "member" }, { name: "score", number: true }],
    async load(token) {
      const start = Number(token);
      const res = await clients.zsets.zRange({
        key,
        range: { case: "byIndex", value: { start: BigInt(start), stop: BigInt(start + PAGE) } },
        withScores: true,
      });
      const items = res.members.slice(0, PAGE).map((m, i) => ({
        id: idOf(m),
        cells: [preview(m), String(res.scores[i])],
        values: [m, utf8(String(res.scores[i]))],
        ref: m,
      }));
      return { items, next: res.members.length > PAGE ? String(start + PAGE) : null };
    },
    async save(item, values) {
      await clients.zsets.zAdd({ key, members: [{ member: bytesOf(item), score: parseScore(values[1]) }] });
    },
    async remove(item) {
      await clients.zsets.zRem({ key, members: [bytesOf(item)] });
    },
    async add(values) {
      await clients.zsets.zAdd({ key, members: [{ member: at(values, 0), score: parseScore(values[1]) }] });
    },
  };
}
