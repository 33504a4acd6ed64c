import { command } from "../../../../shared/client/index.js";
import { ListEnd } from "../../../../shared/gen/memorabilia/v1/lists_service_pb.js";
import type { Clients } from "../../api/clients.js";
import { preview, text, toHex, utf8 } from "../../model/bytes.js";
import { type Change, sameBytes } from "../../model/change.js";
import type { Element, ElementPage, ElementQuery, ElementSource } from "./element-table.js";

/** Elements per page of every container table. */
export const PAGE = 50;
/** The largest COUNT of a search's scan call (a bounded piece of server work per call). */
const MAX_SEARCH_COUNT = 10_000;

/**
 * A search page: scan calls with MATCH from `cursor` until about a page matched or the key is
 * done, COUNT doubling while calls find little (a sparse match crosses a 100k-field hash in a
 * few dozen calls, never one huge one).
 */
async function searchPage(
  cursor: string,
  scan: (cursor: string, count: number) => Promise<{ cursor: string; items: Element[] }>,
): Promise<ElementPage> {
  const items: Element[] = [];
  let count = PAGE;
  let next = cursor;
  do {
    const res = await scan(next, count);
    items.push(...res.items);
    next = res.cursor;
    if (res.items.length * 10 < count) count = Math.min(MAX_SEARCH_COUNT, count * 2);
  } while (next !== "0" && items.length < PAGE);
  return { items, next: next === "0" ? null : next };
}

const bytesOf = (item: Element) => item.ref as Uint8Array;
/** The bytes of column `i` of a form (empty when absent). */
const at = (values: readonly Uint8Array[], i: number): Uint8Array => values[i] ?? new Uint8Array();
/** The id of an element known by its bytes: hex, so elements whose previews match stay apart. */
const idOf = (bytes: Uint8Array) => toHex(bytes);
/** Bytes quoted for a message to the user. */
const q = (bytes: Uint8Array) => `“${preview(bytes, 60)}”`;
/** A change of these commands under these guards. */
const change = (commands: Change["commands"], guards: Change["guards"] = []): Change => ({ commands, guards });

/**
 * A list: pages by index (LRANGE). Edit is LSET, remove is LSET to a unique marker then LREM, in
 * one transaction; both only if the element at that index is still the one read (indexes move
 * when another client pushes or pops).
 */
export function listSource(clients: Clients, key: string): ElementSource {
  const unchanged = (item: Element) => ({
    precondition: {
      key,
      check: { case: "listElement" as const, value: { index: BigInt(item.ref as number), value: at(item.values, 1) } },
    },
    reason: `element ${item.ref as number} is no longer ${q(at(item.values, 1))}: the list changed since you loaded it`,
  });
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
    edit(item, values) {
      if (sameBytes(at(values, 1), at(item.values, 1))) return null;
      return change(
        [command("lSet", { key, index: BigInt(item.ref as number), element: at(values, 1) })],
        [unchanged(item)],
      );
    },
    remove(item) {
      const marker = utf8(`\u0000memorabilia-console-removed:${crypto.randomUUID()}`);
      return change(
        [
          command("lSet", { key, index: BigInt(item.ref as number), element: marker }),
          command("lRem", { key, count: 1n, element: marker }),
        ],
        [unchanged(item)],
      );
    },
    add(values, mode) {
      const end = mode.startsWith("head") ? ListEnd.LEFT : ListEnd.RIGHT;
      return change([command("push", { key, end, elements: [at(values, 0)] })]);
    },
  };
}

/**
 * A hash: pages by HSCAN cursor. Edit and add are HSET, remove is HDEL; an edit or remove only if
 * the field still holds the value read, an add only if the field does not exist yet.
 */
export function hashSource(clients: Clients, key: string): ElementSource {
  const holds = (item: Element, what: string) => ({
    precondition: {
      key,
      check: { case: "hashField" as const, value: { field: bytesOf(item), value: at(item.values, 1) } },
    },
    reason: `field ${q(bytesOf(item))} ${what}`,
  });
  return {
    columns: [{ name: "Field" }, { name: "Value" }],
    editable: [1],
    addFields: [{ name: "field" }, { name: "value" }],
    searchable: true,
    async load(token, query?: ElementQuery) {
      const scan = async (cursor: string, count: number) => {
        const res = await clients.hashes.hScan({ key, cursor, count, ...(query?.match ? { match: query.match } : {}) });
        const items = res.fields.map((f) => ({
          id: idOf(f.field),
          cells: [preview(f.field), preview(f.value)],
          values: [f.field, f.value],
          ref: f.field,
        }));
        return { cursor: res.cursor, items };
      };
      if (query?.match) return searchPage(token, scan);
      const res = await scan(token, PAGE);
      return { items: res.items, next: res.cursor === "0" ? null : res.cursor };
    },
    edit(item, values) {
      if (sameBytes(at(values, 1), at(item.values, 1))) return null;
      return change(
        [command("hSet", { key, fields: [{ field: bytesOf(item), value: at(values, 1) }] })],
        [holds(item, "was changed or removed by another client since you loaded it")],
      );
    },
    remove(item) {
      return change(
        [command("hDel", { key, fields: [bytesOf(item)] })],
        [holds(item, "was changed or removed by another client since you loaded it")],
      );
    },
    add(values) {
      const field = at(values, 0);
      return change(
        [command("hSet", { key, fields: [{ field, value: at(values, 1) }] })],
        [
          {
            precondition: { key, check: { case: "hashField", value: { field } } },
            reason: `field ${q(field)} exists already: adding it would replace its value`,
          },
        ],
      );
    },
  };
}

/**
 * A set: pages by SSCAN cursor. Edit replaces the member (SREM + SADD in one transaction) only if
 * the old member is still there and the new one is not (else the two would merge); remove is
 * SREM of a member still there; add is SADD of a member not there yet.
 */
export function setSource(clients: Clients, key: string): ElementSource {
  const member = (m: Uint8Array, present: boolean, reason: string) => ({
    precondition: { key, check: { case: "setMember" as const, value: { member: m, present } } },
    reason,
  });
  return {
    columns: [{ name: "Member" }],
    editable: [0],
    addFields: [{ name: "member" }],
    searchable: true,
    async load(token, query?: ElementQuery) {
      const scan = async (cursor: string, count: number) => {
        const res = await clients.sets.sScan({ key, cursor, count, ...(query?.match ? { match: query.match } : {}) });
        const items = res.members.map((m) => ({ id: idOf(m), cells: [preview(m)], values: [m], ref: m }));
        return { cursor: res.cursor, items };
      };
      if (query?.match) return searchPage(token, scan);
      const res = await scan(token, PAGE);
      return { items: res.items, next: res.cursor === "0" ? null : res.cursor };
    },
    edit(item, values) {
      const from = bytesOf(item);
      const to = at(values, 0);
      if (sameBytes(from, to)) return null;
      return change(
        [command("sRem", { key, members: [from] }), command("sAdd", { key, members: [to] })],
        [
          member(from, true, `${q(from)} was removed by another client since you loaded it`),
          member(to, false, `${q(to)} is already a member: renaming ${q(from)} to it would merge the two`),
        ],
      );
    },
    remove(item) {
      const m = bytesOf(item);
      return change(
        [command("sRem", { key, members: [m] })],
        [member(m, true, `${q(m)} was removed by another client since you loaded it`)],
      );
    },
    add(values) {
      const m = at(values, 0);
      return change([command("sAdd", { key, members: [m] })], [member(m, false, `${q(m)} is already a member`)]);
    },
  };
}

const parseScore = (bytes: Uint8Array | undefined): number => {
  const typed = bytes ? text(bytes).trim() : "";
  const lower = typed.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  const score = Number(typed);
  if (typed === "" || Number.isNaN(score)) throw new Error("the score must be a number");
  return score;
};

/**
 * A sorted set: pages by rank (ZRANGE WITHSCORES). Edit sets the score (ZADD) only if the member
 * still has the score read; remove is ZREM of the member as read; add is ZADD of a new member.
 */
export function zsetSource(clients: Clients, key: string): ElementSource {
  const scored = (item: Element) => ({
    precondition: {
      key,
      check: { case: "sortedSetMember" as const, value: { member: bytesOf(item), score: item.score as number } },
    },
    reason: `the score of ${q(bytesOf(item))} was changed (or the member removed) by another client since you loaded it`,
  });
  return {
    columns: [{ name: "Member" }, { name: "Score", number: true }],
    editable: [1],
    addFields: [{ name: "member" }, { name: "score", number: true }],
    searchable: true,
    reversible: true,
    async load(token, query?: ElementQuery) {
      const itemOf = (m: Uint8Array, score: number): Element => ({
        id: idOf(m),
        cells: [preview(m), String(score)],
        values: [m, utf8(String(score))],
        ref: m,
        score,
      });
      if (query?.match) {
        const match = query.match;
        return searchPage(token, async (cursor, count) => {
          const res = await clients.sortedSets.zScan({ key, cursor, count, match });
          return { cursor: res.cursor, items: res.members.map((m) => itemOf(m.member, m.score)) };
        });
      }
      const start = Number(token);
      const res = await clients.sortedSets.zRange({
        key,
        range: { case: "byIndex", value: { start: BigInt(start), stop: BigInt(start + PAGE) } },
        withScores: true,
        reverse: query?.reverse === true,
      });
      const items = res.members.slice(0, PAGE).map((m, i) => itemOf(m, res.scores[i] as number));
      return { items, next: res.members.length > PAGE ? String(start + PAGE) : null };
    },
    edit(item, values) {
      const score = parseScore(values[1]);
      if (score === item.score) return null;
      return change([command("zAdd", { key, members: [{ member: bytesOf(item), score }] })], [scored(item)]);
    },
    remove(item) {
      return change([command("zRem", { key, members: [bytesOf(item)] })], [scored(item)]);
    },
    add(values) {
      const member = at(values, 0);
      return change(
        [command("zAdd", { key, members: [{ member, score: parseScore(values[1]) }] })],
        [
          {
            precondition: { key, check: { case: "sortedSetMember", value: { member } } },
            reason: `${q(member)} is already a member: adding it would change its score`,
          },
        ],
      );
    },
  };
}
