/**
 * StringsService: the string commands (GET, SET, GETEX, MGET, INCRBY, APPEND, …) over the store.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { SetCondition, StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import type { KeyValue } from "../gen/memorabilia/v1/types_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { bin, float, int, key, keys, requireTrue, token } from "./args.js";
import { invoke, mapReply } from "./invoke.js";
import { arrayOf, boolOf, bytesOf, doubleOf, int64Of, isOk, optionalBytesOf, textOf } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

const SET_CONDITIONS: Partial<Record<SetCondition, Bytes>> = {
  [SetCondition.NX]: "NX",
  [SetCondition.XX]: "XX",
};

/** `key value key value …` of MSET / MSETNX. */
const pairs = (entries: readonly KeyValue[]): Bytes[] => entries.flatMap((e) => [key(e.key), bin(e.value)]);

/** SET's and GETEX's expiry oneof: a TTL, a deadline, or the option's flag (KEEPTTL / PERSIST). */
type Expiry =
  | { case: "ttlMs" | "atMs"; value: bigint }
  | { case: "keepTtl" | "persist"; value: boolean }
  | { case: undefined; value?: undefined };

/** The expiry's tokens: `PX ms`, `PXAT unix-ms`, or `flag` (which must be true; `field` names it). */
function expiryArgs(expiry: Expiry, flag: Bytes, field: string): Bytes[] {
  switch (expiry.case) {
    case "ttlMs":
      return ["PX", int(expiry.value)];
    case "atMs":
      return ["PXAT", int(expiry.value)];
    case "keepTtl":
    case "persist":
      requireTrue(expiry.value, field);
      return [flag];
    default:
      return [];
  }
}

/** GetResponse of a GET reply (unset value for nil). */
const getReply = (reply: Reply) => ({ value: optionalBytesOf(reply) });

/** SetResponse of a SET reply without GET. */
const setReply = (reply: Reply) => ({ applied: isOk(reply) });

/**
 * SetResponse of SET … GET: the reply is the old value (nil when the key was missing), whether or
 * not the condition let the write happen: NX wrote only if there was none, XX only if there was one.
 */
function setGetReply(condition: SetCondition, reply: Reply) {
  const previous = optionalBytesOf(reply);
  const applied =
    condition === SetCondition.NX
      ? previous === undefined
      : condition === SetCondition.XX
        ? previous !== undefined
        : true;
  return { applied, previous };
}

/** Creates the StringsService implementation over `store`. */
export function createStringsService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof StringsService> {
  return guarded(
    StringsService,
    {
      // GET and SET are the hottest calls: not `async`, so a synchronous engine's reply is
      // answered without a promise of the handler's own (guarded() turns a throw into a rejection).
      get(req, ctx) {
        return mapReply(invoke(store, ["GET", key(req.key)], ctx), getReply);
      },
      /* SET key value [NX | XX] [GET] [PX milliseconds | PXAT unix-time-milliseconds | KEEPTTL] */
      set(req, ctx) {
        const argv: Bytes[] = ["SET", key(req.key), bin(req.value)];
        if (req.condition !== SetCondition.UNSPECIFIED) argv.push(token(req.condition, SET_CONDITIONS, "condition"));
        if (req.get) argv.push("GET");
        if (req.expiry.case !== undefined) argv.push(...expiryArgs(req.expiry, "KEEPTTL", "keep_ttl"));
        const reply = invoke(store, argv, ctx);
        if (!req.get) return mapReply(reply, setReply);
        return mapReply(reply, (r) => setGetReply(req.condition, r));
      },
      async getDel(req, ctx) {
        return { value: optionalBytesOf(await invoke(store, ["GETDEL", key(req.key)], ctx)) };
      },
      /* GETEX key [PX milliseconds | PXAT unix-time-milliseconds | PERSIST] */
      async getEx(req, ctx) {
        const argv: Bytes[] = ["GETEX", key(req.key), ...expiryArgs(req.expiry, "PERSIST", "persist")];
        return { value: optionalBytesOf(await invoke(store, argv, ctx)) };
      },
      async mGet(req, ctx) {
        const reply = await invoke(store, ["MGET", ...keys(req.keys)], ctx);
        return { values: arrayOf(reply).map((v) => ({ value: optionalBytesOf(v) })) };
      },
      async mSet(req, ctx) {
        const reply = await invoke(store, ["MSET", ...pairs(req.entries)], ctx);
        if (!isOk(reply)) throw new TypeError("MSET did not reply OK");
        return {};
      },
      async mSetNx(req, ctx) {
        return { applied: boolOf(await invoke(store, ["MSETNX", ...pairs(req.entries)], ctx)) };
      },
      async incrBy(req, ctx) {
        return { value: int64Of(await invoke(store, ["INCRBY", key(req.key), int(req.delta)], ctx)) };
      },
      async incrByFloat(req, ctx) {
        const reply = await invoke(store, ["INCRBYFLOAT", key(req.key), float(req.delta)], ctx);
        return { value: doubleOf(reply), text: textOf(reply) };
      },
      async append(req, ctx) {
        return { length: int64Of(await invoke(store, ["APPEND", key(req.key), bin(req.value)], ctx)) };
      },
      async strLen(req, ctx) {
        return { length: int64Of(await invoke(store, ["STRLEN", key(req.key)], ctx)) };
      },
      async getRange(req, ctx) {
        const argv = ["GETRANGE", key(req.key), int(req.start), int(req.end)];
        return { value: bytesOf(await invoke(store, argv, ctx)) };
      },
      async setRange(req, ctx) {
        const argv = ["SETRANGE", key(req.key), int(req.offset), bin(req.value)];
        return { length: int64Of(await invoke(store, argv, ctx)) };
      },
    },
    options,
  );
}
