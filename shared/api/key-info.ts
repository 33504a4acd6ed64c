/**
 * Key types and TTLs as the API models them, and the per-key details (type, TTL, size) the
 * console lists beside each scanned key.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { KeyInfoSchema } from "../gen/memorabilia/v1/keys_service_pb.js";
import { type KeyTtlSchema, KeyType, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { type Bytes, bytesToUtf8 } from "../store/bytes.js";
import { StoreError } from "../store/errors.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { invokeBatch } from "./invoke.js";
import { int64Of, textOf } from "./replies.js";

/** Redis type names (`TYPE` replies, `SCAN … TYPE` filters) by API enum value. */
export const KEY_TYPE_NAMES: Partial<Record<KeyType, Bytes>> = {
  [KeyType.STRING]: "string",
  [KeyType.LIST]: "list",
  [KeyType.HASH]: "hash",
  [KeyType.SET]: "set",
  [KeyType.ZSET]: "zset",
  [KeyType.STREAM]: "stream",
};

const KEY_TYPES_BY_NAME: ReadonlyMap<string, KeyType> = new Map([
  ["none", KeyType.NONE],
  ...Object.entries(KEY_TYPE_NAMES).map(([k, v]) => [v as string, Number(k) as KeyType] as const),
]);

/** The API enum for a `TYPE` reply (`string`, `list`, …, `none`). */
export function keyTypeOf(reply: Reply): KeyType {
  const name = textOf(reply);
  const type = KEY_TYPES_BY_NAME.get(name);
  if (type === undefined) throw new TypeError(`unknown key type '${name}'`);
  return type;
}

/** The command that measures a key of each type (bytes of a string, elements of a container). */
const SIZE_COMMANDS: Partial<Record<KeyType, Bytes>> = {
  [KeyType.STRING]: "STRLEN",
  [KeyType.LIST]: "LLEN",
  [KeyType.HASH]: "HLEN",
  [KeyType.SET]: "SCARD",
  [KeyType.ZSET]: "ZCARD",
  [KeyType.STREAM]: "XLEN",
};

/** A KeyTtl from the replies of `PTTL` and `PEXPIRETIME` (read in the same batch). */
export function keyTtlOf(pttl: Reply, pexpireTime: Reply): MessageInitShape<typeof KeyTtlSchema> {
  const ttl = int64Of(pttl);
  if (ttl === -2n) return { status: TtlStatus.NO_SUCH_KEY };
  if (ttl === -1n) return { status: TtlStatus.NO_EXPIRY };
  return { status: TtlStatus.EXPIRES, ttlMs: ttl, atMs: int64Of(pexpireTime) };
}

/** `PTTL key` and `PEXPIRETIME key`. */
export function ttlCommands(key: Bytes): Bytes[][] {
  return [
    ["PTTL", key],
    ["PEXPIRETIME", key],
  ];
}

function orThrow(reply: Reply | StoreError): Reply {
  if (reply instanceof StoreError) throw reply;
  return reply;
}

/**
 * Type, TTL and size of each key, in two batches (type and TTL, then the type's size command).
 * A key deleted or retyped by another client between the batches is left out: the listing is a
 * snapshot of live keys, never a row with a stale type.
 */
export async function readKeyInfos(
  store: Store,
  keys: readonly Bytes[],
  signal: AbortSignal,
): Promise<MessageInitShape<typeof KeyInfoSchema>[]> {
  const first = await invokeBatch(
    store,
    keys.flatMap((k) => [["TYPE", k], ...ttlCommands(k)]),
    signal,
  );
  const live: { key: Bytes; type: KeyType; ttl: MessageInitShape<typeof KeyTtlSchema> }[] = [];
  keys.forEach((k, i) => {
    const type = keyTypeOf(orThrow(first[3 * i] as Reply | StoreError));
    const ttl = keyTtlOf(
      orThrow(first[3 * i + 1] as Reply | StoreError),
      orThrow(first[3 * i + 2] as Reply | StoreError),
    );
    if (type !== KeyType.NONE && ttl.status !== TtlStatus.NO_SUCH_KEY) live.push({ key: k, type, ttl });
  });
  const sizes = await invokeBatch(
    store,
    live.map(({ key, type }) => [SIZE_COMMANDS[type] as Bytes, key]),
    signal,
  );
  const out: MessageInitShape<typeof KeyInfoSchema>[] = [];
  live.forEach(({ key, type, ttl }, i) => {
    const size = sizes[i] as Reply | StoreError;
    if (size instanceof StoreError) {
      if (size.code === "WRONGTYPE") return; // retyped between the batches
      throw size;
    }
    const n = int64Of(size);
    if (n === 0n && type !== KeyType.STRING) return; // emptied (so deleted) between the batches
    out.push({ key: bytesToUtf8(key), type, ttl, size: n });
  });
  return out;
}
