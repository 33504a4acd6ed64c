/**
 * SetsService: the set commands (SADD, SISMEMBER, SPOP, SINTER/SUNION/SDIFF and their STORE
 * forms, SINTERCARD, SSCAN, …) over the store.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { SetsService } from "../gen/memorabilia/v1/sets_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Store } from "../store/store.js";
import { bin, bins, cursorArg, int, key, keys, scanOptions } from "./args.js";
import { invoke } from "./invoke.js";
import { arrayOf, boolOf, bytesListOf, bytesOf, int64Of, scanPageOf } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

/** Creates the SetsService implementation over `store`. */
export function createSetsService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof SetsService> {
  /*
   * SINTER | SUNION | SDIFF key [key ...], or with a destination
   * SINTERSTORE | SUNIONSTORE | SDIFFSTORE destination key [key ...]
   */
  const algebra = async (
    name: "SINTER" | "SUNION" | "SDIFF",
    req: { keys: string[]; destination?: string },
    ctx: HandlerContext,
  ): Promise<{ members?: Uint8Array[]; cardinality: bigint }> => {
    if (req.destination !== undefined) {
      const argv = [`${name}STORE`, key(req.destination), ...keys(req.keys)];
      return { cardinality: int64Of(await invoke(store, argv, ctx)) };
    }
    const members = bytesListOf(await invoke(store, [name, ...keys(req.keys)], ctx));
    return { members, cardinality: BigInt(members.length) };
  };
  /* SPOP key [count] and SRANDMEMBER key [count]: a bulk or nil without count, an array with one */
  const pick = async (name: Bytes, req: { key: string; count?: bigint }, ctx: HandlerContext) => {
    const argv: Bytes[] = [name, key(req.key)];
    if (req.count !== undefined) argv.push(int(req.count));
    const reply = await invoke(store, argv, ctx);
    if (reply === null) return { members: [] };
    return { members: req.count === undefined ? [bytesOf(reply)] : bytesListOf(reply) };
  };

  return guarded(
    SetsService,
    {
      async sAdd(req, ctx) {
        return { added: int64Of(await invoke(store, ["SADD", key(req.key), ...bins(req.members)], ctx)) };
      },
      async sRem(req, ctx) {
        return { removed: int64Of(await invoke(store, ["SREM", key(req.key), ...bins(req.members)], ctx)) };
      },
      async sMembers(req, ctx) {
        return { members: bytesListOf(await invoke(store, ["SMEMBERS", key(req.key)], ctx)) };
      },
      async sIsMember(req, ctx) {
        return { isMember: boolOf(await invoke(store, ["SISMEMBER", key(req.key), bin(req.member)], ctx)) };
      },
      async sMIsMember(req, ctx) {
        const reply = await invoke(store, ["SMISMEMBER", key(req.key), ...bins(req.members)], ctx);
        return { isMember: arrayOf(reply).map(boolOf) };
      },
      async sCard(req, ctx) {
        return { cardinality: int64Of(await invoke(store, ["SCARD", key(req.key)], ctx)) };
      },
      sPop: (req, ctx) => pick("SPOP", req, ctx),
      sRandMember: (req, ctx) => pick("SRANDMEMBER", req, ctx),
      async sMove(req, ctx) {
        const argv = ["SMOVE", key(req.source), key(req.destination), bin(req.member)];
        return { moved: boolOf(await invoke(store, argv, ctx)) };
      },
      sInter: (req, ctx) => algebra("SINTER", req, ctx),
      sUnion: (req, ctx) => algebra("SUNION", req, ctx),
      sDiff: (req, ctx) => algebra("SDIFF", req, ctx),
      /* SINTERCARD numkeys key [key ...] [LIMIT limit] */
      async sInterCard(req, ctx) {
        const argv: Bytes[] = ["SINTERCARD", int(req.keys.length), ...keys(req.keys)];
        if (req.limit !== 0) argv.push("LIMIT", int(req.limit));
        return { cardinality: int64Of(await invoke(store, argv, ctx)) };
      },
      /* SSCAN key cursor [MATCH pattern] [COUNT count] */
      async sScan(req, ctx) {
        const match = req.match === undefined ? undefined : bin(req.match);
        const argv = ["SSCAN", key(req.key), cursorArg(req.cursor), ...scanOptions(match, req.count)];
        const page = scanPageOf(await invoke(store, argv, ctx));
        return { cursor: page.cursor, members: page.items.map(bytesOf) };
      },
    },
    options,
  );
}
