/**
 * What each RPC needs, for every host. The typed data RPCs (Get, HSet, ZRangeStore, …) run the
 * store command of their name; the others are listed here one by one. An RPC that is neither is
 * refused to everyone (deny by default); `rpc-rules.test.ts` walks every RPC of every generated
 * service and fails when one is unclassified.
 */
import type { CommandSpec } from "../store/command.js";
import type { Role } from "./caller.js";

/** What an RPC needs. */
export type RpcRule =
  /** Anyone, even without a token (health probes). */
  | { readonly kind: "public" }
  /** A valid token with at least this role. */
  | { readonly kind: "role"; readonly role: Role }
  /** A valid token with this role whose key patterns cover the request's `pattern` field (Watch). */
  | { readonly kind: "pattern"; readonly role: Role }
  /** Runs these store commands: each is checked, with its keys, as it runs. */
  | { readonly kind: "commands"; readonly commands: readonly string[] }
  /**
   * The request carries command lines (Execute, Exec, Batch, Pipeline): each is checked, with
   * its keys, as it runs.
   */
  | { readonly kind: "argv" };

/** The services whose every RPC runs the store command of its name unless listed below. */
export const DATA_SERVICES: ReadonlySet<string> = new Set([
  "memorabilia.v1.KeysService",
  "memorabilia.v1.StringsService",
  "memorabilia.v1.ListsService",
  "memorabilia.v1.HashesService",
  "memorabilia.v1.SetsService",
  "memorabilia.v1.SortedSetsService",
  "memorabilia.v1.StreamsService",
  "memorabilia.v1.BitmapsService",
  "memorabilia.v1.HyperLogLogService",
  "memorabilia.v1.GeoService",
]);

const role = (r: Role): RpcRule => ({ kind: "role", role: r });
const commands = (...names: string[]): RpcRule => ({ kind: "commands", commands: names });

/** Every RPC whose rule is not the store command of its name. */
export const RPC_RULES: Readonly<Record<string, RpcRule>> = {
  "grpc.health.v1.Health/Check": { kind: "public" },
  "grpc.health.v1.Health/Watch": { kind: "public" },
  "grpc.health.v1.Health/List": { kind: "public" },
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": role("readonly"),
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": role("readonly"),
  "memorabilia.v1.AuthService/WhoAmI": role("readonly"),
  "memorabilia.v1.KeysService/ObjectEncoding": commands("OBJECT"),
  "memorabilia.v1.KeysService/MemoryUsage": commands("MEMORY"),
  "memorabilia.v1.KeysService/SortRo": commands("SORT_RO"),
  "memorabilia.v1.BitmapsService/BitFieldRo": commands("BITFIELD_RO"),
  "memorabilia.v1.ListsService/Push": commands("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"),
  "memorabilia.v1.ListsService/Pop": commands("LPOP", "RPOP"),
  "memorabilia.v1.ListsService/BPop": commands("BLPOP", "BRPOP"),
  "memorabilia.v1.SortedSetsService/ZRemRange": commands("ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"),
  "memorabilia.v1.SortedSetsService/ZPop": commands("ZPOPMIN", "ZPOPMAX"),
  "memorabilia.v1.SortedSetsService/BZPop": commands("BZPOPMIN", "BZPOPMAX"),
  "memorabilia.v1.StreamsService/XGroupCreate": commands("XGROUP"),
  "memorabilia.v1.StreamsService/XGroupDestroy": commands("XGROUP"),
  "memorabilia.v1.StreamReaderService/Read": commands("XREAD", "XREADGROUP", "XINFO"),
  "memorabilia.v1.CommandService/Execute": { kind: "argv" },
  "memorabilia.v1.CommandService/ListCommands": role("readonly"),
  "memorabilia.v1.TransactionService/Exec": { kind: "argv" },
  "memorabilia.v1.TransactionService/Batch": { kind: "argv" },
  "memorabilia.v1.TransactionService/Pipeline": { kind: "argv" },
  "memorabilia.v1.WatchService/Watch": { kind: "pattern", role: "readonly" },
  "memorabilia.v1.PubSubService/Publish": role("readwrite"),
  "memorabilia.v1.PubSubService/Subscribe": role("readonly"),
  "memorabilia.v1.PubSubService/Channels": role("readonly"),
  "memorabilia.v1.ServerService/Info": role("readonly"),
  "memorabilia.v1.ServerService/InfoStream": role("readonly"),
  // Configuration is administration, as Redis's CONFIG GET/SET (@admin).
  "memorabilia.v1.ServerService/GetConfig": role("admin"),
  "memorabilia.v1.ServerService/SetConfig": role("admin"),
  // As Redis's SLOWLOG and MONITOR (@admin): they show every client's commands and arguments.
  "memorabilia.v1.ServerService/SlowLog": role("admin"),
  "memorabilia.v1.ServerService/ResetSlowLog": role("admin"),
  "memorabilia.v1.ServerService/Monitor": role("admin"),
};

/**
 * The rule of `service/method` (`memorabilia.v1.StringsService/Get`), or undefined when the
 * policy does not classify it. `commands` is the store's command table; `extra` are a host's
 * own rules for routes it adds.
 */
export function rpcRule(
  service: string,
  method: string,
  commandTable: ReadonlyMap<string, CommandSpec>,
  extra: Readonly<Record<string, RpcRule>> = {},
): RpcRule | undefined {
  const procedure = `${service}/${method}`;
  const rule = RPC_RULES[procedure] ?? extra[procedure];
  if (rule !== undefined) return rule;
  if (!DATA_SERVICES.has(service)) return undefined;
  // Get -> GET, HGetAll -> HGETALL, ZRangeStore -> ZRANGESTORE.
  const name = method.toUpperCase();
  return commandTable.has(name) ? commands(name) : undefined;
}
