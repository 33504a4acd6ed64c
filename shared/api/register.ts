/**
 * Registers every data-type service on a Connect router.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { BitmapsService } from "../gen/memorabilia/v1/bitmaps_service_pb.js";
import { CommandService } from "../gen/memorabilia/v1/command_service_pb.js";
import { GeoService } from "../gen/memorabilia/v1/geo_service_pb.js";
import { HashesService } from "../gen/memorabilia/v1/hashes_service_pb.js";
import { HyperLogLogService } from "../gen/memorabilia/v1/hyperloglog_service_pb.js";
import { KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import { SetsService } from "../gen/memorabilia/v1/sets_service_pb.js";
import { SortedSetsService } from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import { StreamsService } from "../gen/memorabilia/v1/streams_service_pb.js";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import type { Store } from "../store/store.js";
import { createBitmapsService } from "./bitmaps-service.js";
import { createCommandService } from "./command-service.js";
import { createGeoService } from "./geo-service.js";
import { createHashesService } from "./hashes-service.js";
import { createHyperLogLogService } from "./hyperloglog-service.js";
import { createKeysService } from "./keys-service.js";
import { createListsService } from "./lists-service.js";
import type { ServiceOptions } from "./service-options.js";
import { createSetsService } from "./sets-service.js";
import { createSortedSetsService } from "./sorted-sets-service.js";
import { createStreamsService } from "./streams-service.js";
import { createStringsService } from "./strings-service.js";

/** The descriptors of every service {@link registerMemorabiliaServices} registers (for reflection, health, docs). */
export const MEMORABILIA_SERVICES: readonly DescService[] = [
  KeysService,
  StringsService,
  ListsService,
  HashesService,
  SetsService,
  SortedSetsService,
  StreamsService,
  BitmapsService,
  HyperLogLogService,
  GeoService,
  CommandService,
];

/**
 * Registers KeysService, StringsService, ListsService, HashesService, SetsService,
 * SortedSetsService, StreamsService, BitmapsService, HyperLogLogService, GeoService and CommandService over `store` on `router`, and returns the router.
 *
 * @example
 * ```ts
 * const store = createStore();
 * const transport = createRouterTransport((router) => registerMemorabiliaServices(router, store));
 * ```
 */
export function registerMemorabiliaServices(
  router: ConnectRouter,
  store: Store,
  options: ServiceOptions = {},
): ConnectRouter {
  return router
    .service(KeysService, createKeysService(store, options))
    .service(StringsService, createStringsService(store, options))
    .service(ListsService, createListsService(store, options))
    .service(HashesService, createHashesService(store, options))
    .service(SetsService, createSetsService(store, options))
    .service(SortedSetsService, createSortedSetsService(store, options))
    .service(StreamsService, createStreamsService(store, options))
    .service(BitmapsService, createBitmapsService(store, options))
    .service(HyperLogLogService, createHyperLogLogService(store, options))
    .service(GeoService, createGeoService(store, options))
    .service(CommandService, createCommandService(store, options));
}
