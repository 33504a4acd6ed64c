/**
 * HyperLogLogService: the HyperLogLog commands (PFADD, PFCOUNT, PFMERGE) over the store, one
 * command per RPC.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { HyperLogLogService } from "../gen/memorabilia/v1/hyperloglog_service_pb.js";
import type { Store } from "../store/store.js";
import { bins, key, keys } from "./args.js";
import { invoke } from "./invoke.js";
import { boolOf, int64Of } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

/** Creates the HyperLogLogService implementation over `store`. */
export function createHyperLogLogService(
  store: Store,
  options: ServiceOptions = {},
): ServiceImpl<typeof HyperLogLogService> {
  return guarded(
    HyperLogLogService,
    {
      async pfAdd(req, ctx) {
        return { changed: boolOf(await invoke(store, ["PFADD", key(req.key), ...bins(req.elements)], ctx)) };
      },
      async pfCount(req, ctx) {
        return { count: int64Of(await invoke(store, ["PFCOUNT", ...keys(req.keys)], ctx)) };
      },
      async pfMerge(req, ctx) {
        await invoke(store, ["PFMERGE", key(req.destination), ...keys(req.sources)], ctx);
        return {};
      },
    },
    options,
  );
}
