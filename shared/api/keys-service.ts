/**
 * KeysService: the generic key commands (DEL, EXISTS, TYPE, RENAME, PEXPIRE, PTTL, SCAN, …) over
 * the store, one command (or one batch) per RPC.
 */

import type { ServiceImpl } from "@connectrpc/connect";
import { ExpireCondition, KeysService, type SortOptions } from "../gen/memorabilia/v1/keys_service_pb.js";
import { KeyType } from "../gen/memorabilia/v1/types_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { cursorArg, int, key, keys, required, scanOptions, token } from "./args.js";
import { invoke, invokeAll } from "./invoke.js";
import { KEY_TYPE_NAMES, keyTtlOf, keyTypeOf, readKeyInfos, ttlCommands } from "./key-info.js";
import { arrayOf, boolOf, int64Of, isOk, optionalBytesOf, scanPageOf, textOf } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

const EXPIRE_CONDITIONS: Partial<Record<ExpireCondition, Bytes>> = {
  [ExpireCondition.NX]: "NX",
  [ExpireCondition.XX]: "XX",
  [ExpireCondition.GT]: "GT",
  [ExpireCondition.LT]: "LT",
};

/**
 * `SCAN … TYPE` filters: every key type, and KEY_TYPE_NONE as `none`, which Redis accepts and which
 * matches no key (a key that exists has a type): the pages are empty while the cursor still walks
 * the keyspace, exactly as `SCAN cursor TYPE none`.
 */
const SCAN_TYPES: Partial<Record<KeyType, Bytes>> = { ...KEY_TYPE_NAMES, [KeyType.NONE]: "none" };

/** SORT's `BY`, `LIMIT`, `GET`, `DESC` and `ALPHA` arguments (none for unset options). */
export function sortArgs(options: SortOptions | undefined): Bytes[] {
  const out: Bytes[] = [];
  if (options === undefined) return out;
  if (options.by !== undefined) out.push("BY", key(options.by));
  if (options.limit !== undefined) out.push("LIMIT", int(options.limit.offset), int(options.limit.count));
  for (const pattern of options.get) out.push("GET", key(pattern));
  if (options.descending) out.push("DESC");
  if (options.alpha) out.push("ALPHA");
  return out;
}

/** An array of bulk-or-nil replies as NullableBytes. */
const nullableValuesOf = (reply: Reply) => arrayOf(reply).map((r) => ({ value: optionalBytesOf(r) }));

/** Creates the KeysService implementation over `store`. */
export function createKeysService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof KeysService> {
  return guarded(
    KeysService,
    {
      async del(req, ctx) {
        return { deleted: int64Of(await invoke(store, ["DEL", ...keys(req.keys)], ctx)) };
      },
      async unlink(req, ctx) {
        return { deleted: int64Of(await invoke(store, ["UNLINK", ...keys(req.keys)], ctx)) };
      },
      async exists(req, ctx) {
        return { count: int64Of(await invoke(store, ["EXISTS", ...keys(req.keys)], ctx)) };
      },
      async type(req, ctx) {
        return { type: keyTypeOf(await invoke(store, ["TYPE", key(req.key)], ctx)) };
      },
      async rename(req, ctx) {
        await invoke(store, ["RENAME", key(req.key), key(req.newKey)], ctx);
        return {};
      },
      async renameNx(req, ctx) {
        return { renamed: boolOf(await invoke(store, ["RENAMENX", key(req.key), key(req.newKey)], ctx)) };
      },
      async expire(req, ctx) {
        const when = required(req.when.case, "when (ttl_ms or at_ms)");
        const argv: Bytes[] = [when === "ttlMs" ? "PEXPIRE" : "PEXPIREAT", key(req.key), int(req.when.value as bigint)];
        if (req.condition !== ExpireCondition.UNSPECIFIED) {
          argv.push(token(req.condition, EXPIRE_CONDITIONS, "condition"));
        }
        return { applied: boolOf(await invoke(store, argv, ctx)) };
      },
      async ttl(req, ctx) {
        const [pttl, at] = await invokeAll(store, ttlCommands(key(req.key)), ctx);
        return { ttl: keyTtlOf(pttl ?? null, at ?? null) };
      },
      async persist(req, ctx) {
        return { persisted: boolOf(await invoke(store, ["PERSIST", key(req.key)], ctx)) };
      },
      async scan(req, ctx) {
        const argv: Bytes[] = [
          "SCAN",
          cursorArg(req.cursor),
          ...scanOptions(req.match === undefined ? undefined : key(req.match), req.count),
        ];
        if (req.type !== KeyType.UNSPECIFIED) argv.push("TYPE", token(req.type, SCAN_TYPES, "type"));
        const page = scanPageOf(await invoke(store, argv, ctx));
        const names = page.items.map((k) => {
          if (typeof k !== "string") throw new TypeError("SCAN replied a non-bulk key");
          return k;
        });
        return { cursor: page.cursor, keys: await readKeyInfos(store, names, ctx.signal) };
      },
      async keys(req, ctx) {
        return { keys: arrayOf(await invoke(store, ["KEYS", key(req.pattern)], ctx)).map(textOf) };
      },
      async randomKey(_req, ctx) {
        const reply = await invoke(store, ["RANDOMKEY"], ctx);
        return { key: reply === null ? undefined : textOf(reply) };
      },
      async dbSize(_req, ctx) {
        return { size: int64Of(await invoke(store, ["DBSIZE"], ctx)) };
      },
      async flushAll(_req, ctx) {
        const reply = await invoke(store, ["FLUSHALL"], ctx);
        if (!isOk(reply)) throw new TypeError("FLUSHALL did not reply OK");
        return {};
      },
      async copy(req, ctx) {
        const argv: Bytes[] = ["COPY", key(req.source), key(req.destination)];
        if (req.replace) argv.push("REPLACE");
        return { copied: boolOf(await invoke(store, argv, ctx)) };
      },
      async touch(req, ctx) {
        return { touched: int64Of(await invoke(store, ["TOUCH", ...keys(req.keys)], ctx)) };
      },
      async objectEncoding(req, ctx) {
        const reply = await invoke(store, ["OBJECT", "ENCODING", key(req.key)], ctx);
        return { encoding: reply === null ? undefined : textOf(reply) };
      },
      async memoryUsage(req, ctx) {
        const reply = await invoke(store, ["MEMORY", "USAGE", key(req.key)], ctx);
        return { bytes: reply === null ? undefined : int64Of(reply) };
      },
      async sort(req, ctx) {
        const argv: Bytes[] = ["SORT", key(req.key), ...sortArgs(req.options)];
        if (req.destination !== undefined) {
          argv.push("STORE", key(req.destination));
          return { values: [], stored: int64Of(await invoke(store, argv, ctx)) };
        }
        return { values: nullableValuesOf(await invoke(store, argv, ctx)) };
      },
      async sortRo(req, ctx) {
        const argv: Bytes[] = ["SORT_RO", key(req.key), ...sortArgs(req.options)];
        return { values: nullableValuesOf(await invoke(store, argv, ctx)) };
      },
    },
    options,
  );
}
