/**
 * ListsService: the list commands over the store. Push and Pop fold the left and right variants
 * (LPUSH/RPUSH/LPUSHX/RPUSHX, LPOP/RPOP) into one RPC with a ListEnd.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { InsertPosition, ListEnd, ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { bin, bins, int, key, keys, seconds, token } from "./args.js";
import { invoke } from "./invoke.js";
import { arrayOf, bytesListOf, bytesOf, int64Of, isOk, optionalBytesOf, textOf } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

const ENDS: Partial<Record<ListEnd, Bytes>> = { [ListEnd.LEFT]: "LEFT", [ListEnd.RIGHT]: "RIGHT" };
const POSITIONS: Partial<Record<InsertPosition, Bytes>> = {
  [InsertPosition.BEFORE]: "BEFORE",
  [InsertPosition.AFTER]: "AFTER",
};

/** `L` or `R`, the first letter of the command for an end (LPUSH / RPUSH …). */
const side = (end: ListEnd, field = "end"): "L" | "R" => (token(end, ENDS, field) === "LEFT" ? "L" : "R");

function expectOk(reply: Reply, command: string): void {
  if (!isOk(reply)) throw new TypeError(`${command} did not reply OK`);
}

/** Creates the ListsService implementation over `store`. */
export function createListsService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof ListsService> {
  return guarded(
    ListsService,
    {
      /* LPUSH | RPUSH | LPUSHX | RPUSHX key element [element ...] */
      async push(req, ctx) {
        const name = `${side(req.end)}PUSH${req.onlyIfExists ? "X" : ""}`;
        return { length: int64Of(await invoke(store, [name, key(req.key), ...bins(req.elements)], ctx)) };
      },
      /* LPOP | RPOP key [count] */
      async pop(req, ctx) {
        const argv: Bytes[] = [`${side(req.end)}POP`, key(req.key)];
        if (req.count !== undefined) argv.push(int(req.count));
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return { found: false };
        return { found: true, elements: req.count === undefined ? [bytesOf(reply)] : bytesListOf(reply) };
      },
      async lRange(req, ctx) {
        const argv = ["LRANGE", key(req.key), int(req.start), int(req.stop)];
        return { elements: bytesListOf(await invoke(store, argv, ctx)) };
      },
      async lLen(req, ctx) {
        return { length: int64Of(await invoke(store, ["LLEN", key(req.key)], ctx)) };
      },
      async lIndex(req, ctx) {
        const argv = ["LINDEX", key(req.key), int(req.index)];
        return { element: optionalBytesOf(await invoke(store, argv, ctx)) };
      },
      async lSet(req, ctx) {
        expectOk(await invoke(store, ["LSET", key(req.key), int(req.index), bin(req.element)], ctx), "LSET");
        return {};
      },
      async lRem(req, ctx) {
        const argv = ["LREM", key(req.key), int(req.count), bin(req.element)];
        return { removed: int64Of(await invoke(store, argv, ctx)) };
      },
      async lTrim(req, ctx) {
        expectOk(await invoke(store, ["LTRIM", key(req.key), int(req.start), int(req.stop)], ctx), "LTRIM");
        return {};
      },
      /* LINSERT key BEFORE | AFTER pivot element: 0 = no key, -1 = no pivot, else the new length */
      async lInsert(req, ctx) {
        const where = token(req.position, POSITIONS, "position");
        const argv = ["LINSERT", key(req.key), where, bin(req.pivot), bin(req.element)];
        const n = int64Of(await invoke(store, argv, ctx));
        if (n === 0n) return { found: false, inserted: false };
        if (n < 0n) return { found: true, inserted: false };
        return { found: true, inserted: true, length: n };
      },
      /* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
      async lPos(req, ctx) {
        const argv: Bytes[] = ["LPOS", key(req.key), bin(req.element)];
        if (req.rank !== undefined) argv.push("RANK", int(req.rank));
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        if (req.maxLen !== undefined) argv.push("MAXLEN", int(req.maxLen));
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return { positions: [] };
        return { positions: req.count === undefined ? [int64Of(reply)] : arrayOf(reply).map(int64Of) };
      },
      /* LMOVE source destination LEFT | RIGHT LEFT | RIGHT */
      async lMove(req, ctx) {
        const argv = [
          "LMOVE",
          key(req.source),
          key(req.destination),
          token(req.from, ENDS, "from"),
          token(req.to, ENDS, "to"),
        ];
        return { element: optionalBytesOf(await invoke(store, argv, ctx)) };
      },
      /* LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count] */
      async lMPop(req, ctx) {
        const argv: Bytes[] = ["LMPOP", int(req.keys.length), ...keys(req.keys), token(req.end, ENDS, "end")];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return {};
        const [from, elements] = arrayOf(reply);
        return { key: textOf(from ?? null), elements: bytesListOf(elements ?? null) };
      },
      /* BLPOP | BRPOP key [key ...] timeout */
      async bPop(req, ctx) {
        const argv = [`B${side(req.end)}POP`, ...keys(req.keys), seconds(req.timeout)];
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return {};
        const [from, element] = arrayOf(reply);
        return { key: textOf(from ?? null), element: bytesOf(element ?? null) };
      },
      /* BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout */
      async bLMove(req, ctx) {
        const argv = [
          "BLMOVE",
          key(req.source),
          key(req.destination),
          token(req.from, ENDS, "from"),
          token(req.to, ENDS, "to"),
          seconds(req.timeout),
        ];
        return { element: optionalBytesOf(await invoke(store, argv, ctx)) };
      },
      /* BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count] */
      async bLMPop(req, ctx) {
        const argv: Bytes[] = [
          "BLMPOP",
          seconds(req.timeout),
          int(req.keys.length),
          ...keys(req.keys),
          token(req.end, ENDS, "end"),
        ];
        if (req.count !== undefined) argv.push("COUNT", int(req.count));
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return {};
        const [from, elements] = arrayOf(reply);
        return { key: textOf(from ?? null), elements: bytesListOf(elements ?? null) };
      },
    },
    options,
  );
}
