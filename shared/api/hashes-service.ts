/**
 * HashesService: the hash commands (HSET, HGET, HGETALL, HINCRBY, HRANDFIELD, HSCAN, …) over the
 * store.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { HashesService } from "../gen/memorabilia/v1/hashes_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { bin, bins, cursorArg, float, int, invalidArgument, key, scanOptions } from "./args.js";
import { invoke } from "./invoke.js";
import {
  arrayOf,
  boolOf,
  bytesListOf,
  bytesOf,
  doubleOf,
  int64Of,
  optionalBytesOf,
  pairsOf,
  scanPageOf,
  textOf,
} from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

/** `[field, value, …]` (HGETALL, HSCAN) as FieldValue inits. */
const fieldValues = (flat: Reply): { field: Uint8Array; value: Uint8Array }[] =>
  pairsOf(flat).map(([f, v]) => ({ field: bytesOf(f), value: bytesOf(v) }));

/** Creates the HashesService implementation over `store`. */
export function createHashesService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof HashesService> {
  return guarded(
    HashesService,
    {
      /* HSET key field value [field value ...] */
      async hSet(req, ctx) {
        const argv: Bytes[] = ["HSET", key(req.key), ...req.fields.flatMap((f) => [bin(f.field), bin(f.value)])];
        return { added: int64Of(await invoke(store, argv, ctx)) };
      },
      async hSetNx(req, ctx) {
        const argv = ["HSETNX", key(req.key), bin(req.field), bin(req.value)];
        return { applied: boolOf(await invoke(store, argv, ctx)) };
      },
      async hGet(req, ctx) {
        return { value: optionalBytesOf(await invoke(store, ["HGET", key(req.key), bin(req.field)], ctx)) };
      },
      async hMGet(req, ctx) {
        const reply = await invoke(store, ["HMGET", key(req.key), ...bins(req.fields)], ctx);
        return { values: arrayOf(reply).map((v) => ({ value: optionalBytesOf(v) })) };
      },
      async hDel(req, ctx) {
        return { removed: int64Of(await invoke(store, ["HDEL", key(req.key), ...bins(req.fields)], ctx)) };
      },
      async hGetAll(req, ctx) {
        return { fields: fieldValues(await invoke(store, ["HGETALL", key(req.key)], ctx)) };
      },
      async hExists(req, ctx) {
        return { exists: boolOf(await invoke(store, ["HEXISTS", key(req.key), bin(req.field)], ctx)) };
      },
      async hLen(req, ctx) {
        return { length: int64Of(await invoke(store, ["HLEN", key(req.key)], ctx)) };
      },
      async hKeys(req, ctx) {
        return { fields: bytesListOf(await invoke(store, ["HKEYS", key(req.key)], ctx)) };
      },
      async hVals(req, ctx) {
        return { values: bytesListOf(await invoke(store, ["HVALS", key(req.key)], ctx)) };
      },
      async hIncrBy(req, ctx) {
        const argv = ["HINCRBY", key(req.key), bin(req.field), int(req.delta)];
        return { value: int64Of(await invoke(store, argv, ctx)) };
      },
      async hIncrByFloat(req, ctx) {
        const argv = ["HINCRBYFLOAT", key(req.key), bin(req.field), float(req.delta)];
        const reply = await invoke(store, argv, ctx);
        return { value: doubleOf(reply), text: textOf(reply) };
      },
      async hStrLen(req, ctx) {
        return { length: int64Of(await invoke(store, ["HSTRLEN", key(req.key), bin(req.field)], ctx)) };
      },
      /* HRANDFIELD key [count [WITHVALUES]] */
      async hRandField(req, ctx) {
        const argv: Bytes[] = ["HRANDFIELD", key(req.key)];
        if (req.count !== undefined) argv.push(int(req.count));
        if (req.withValues) {
          if (req.count === undefined) throw invalidArgument("with_values requires count");
          argv.push("WITHVALUES");
        }
        const reply = await invoke(store, argv, ctx);
        if (reply === null) return {};
        if (req.count === undefined) return { fields: [bytesOf(reply)] };
        if (!req.withValues) return { fields: bytesListOf(reply) };
        const pairs = pairsOf(reply);
        return { fields: pairs.map(([f]) => bytesOf(f)), values: pairs.map(([, v]) => bytesOf(v)) };
      },
      /* HSCAN key cursor [MATCH pattern] [COUNT count] */
      async hScan(req, ctx) {
        const match = req.match === undefined ? undefined : bin(req.match);
        const argv = ["HSCAN", key(req.key), cursorArg(req.cursor), ...scanOptions(match, req.count)];
        const page = scanPageOf(await invoke(store, argv, ctx));
        return { cursor: page.cursor, fields: fieldValues(page.items as Reply) };
      },
    },
    options,
  );
}
