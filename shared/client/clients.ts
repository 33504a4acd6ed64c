/**
 * The typed service clients of every Memorabilia service over one transport.
 */
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { AuthService } from "../gen/memorabilia/v1/auth_service_pb.js";
import { BitmapsService } from "../gen/memorabilia/v1/bitmaps_service_pb.js";
import { CommandService } from "../gen/memorabilia/v1/command_service_pb.js";
import { GeoService } from "../gen/memorabilia/v1/geo_service_pb.js";
import { HashesService } from "../gen/memorabilia/v1/hashes_service_pb.js";
import { HyperLogLogService } from "../gen/memorabilia/v1/hyperloglog_service_pb.js";
import { KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import { PubSubService } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { ServerService } from "../gen/memorabilia/v1/server_service_pb.js";
import { SetsService } from "../gen/memorabilia/v1/sets_service_pb.js";
import { SortedSetsService } from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import { StreamReaderService, StreamsService } from "../gen/memorabilia/v1/streams_service_pb.js";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import { TransactionService } from "../gen/memorabilia/v1/transaction_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";

/**
 * One generated Connect client per service, all over the same transport. Each is the plain
 * `createClient()` client: method names are the RPCs' (`strings.get`, `keys.scan`,
 * `sortedSets.zAdd`), requests are plain objects, responses typed messages.
 */
export interface MemorabiliaClient {
  /** KeysService: DEL, EXISTS, TYPE, RENAME, EXPIRE, TTL, SCAN, SORT, … */
  readonly keys: Client<typeof KeysService>;
  /** StringsService: GET, SET, INCRBY, APPEND, … */
  readonly strings: Client<typeof StringsService>;
  /** ListsService: LPUSH/RPUSH, LPOP/RPOP, LRANGE, … */
  readonly lists: Client<typeof ListsService>;
  /** HashesService: HSET, HGET, HGETALL, … */
  readonly hashes: Client<typeof HashesService>;
  /** SetsService: SADD, SMEMBERS, SINTER, … */
  readonly sets: Client<typeof SetsService>;
  /** SortedSetsService: ZADD, ZRANGE, ZSCORE, … */
  readonly sortedSets: Client<typeof SortedSetsService>;
  /** StreamsService: XADD, XRANGE, XREAD, XREADGROUP, XACK, … */
  readonly streams: Client<typeof StreamsService>;
  /** StreamReaderService: Read, a held-open XREAD / XREADGROUP (server stream). */
  readonly streamReader: Client<typeof StreamReaderService>;
  /** BitmapsService: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO. */
  readonly bitmaps: Client<typeof BitmapsService>;
  /** HyperLogLogService: PFADD, PFCOUNT, PFMERGE. */
  readonly hyperLogLog: Client<typeof HyperLogLogService>;
  /** GeoService: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE. */
  readonly geo: Client<typeof GeoService>;
  /** CommandService: raw commands (Execute) and the command table (ListCommands). */
  readonly command: Client<typeof CommandService>;
  /** TransactionService: Exec (atomic), Batch (unary), Pipeline (bidi, HTTP/2 gRPC only). */
  readonly transaction: Client<typeof TransactionService>;
  /** WatchService: keyspace events (server stream). */
  readonly watch: Client<typeof WatchService>;
  /** PubSubService: Publish, Subscribe (server stream), Channels. */
  readonly pubsub: Client<typeof PubSubService>;
  /** ServerService: Info, InfoStream, GetConfig, SetConfig. */
  readonly server: Client<typeof ServerService>;
  /** AuthService: WhoAmI. */
  readonly auth: Client<typeof AuthService>;
  /** The transport every client uses. */
  readonly transport: Transport;
}

/**
 * Creates every service client over `transport` (any Connect transport: connect-web,
 * connect-node, or `createRouterTransport` in tests).
 *
 * @example
 * ```ts
 * const client = createServiceClients(createConnectTransport({ baseUrl: "http://127.0.0.1:7379" }));
 * const { value } = await client.strings.get({ key: "greeting" });
 * ```
 */
export function createServiceClients(transport: Transport): MemorabiliaClient {
  return {
    keys: createClient(KeysService, transport),
    strings: createClient(StringsService, transport),
    lists: createClient(ListsService, transport),
    hashes: createClient(HashesService, transport),
    sets: createClient(SetsService, transport),
    sortedSets: createClient(SortedSetsService, transport),
    streams: createClient(StreamsService, transport),
    streamReader: createClient(StreamReaderService, transport),
    bitmaps: createClient(BitmapsService, transport),
    hyperLogLog: createClient(HyperLogLogService, transport),
    geo: createClient(GeoService, transport),
    command: createClient(CommandService, transport),
    transaction: createClient(TransactionService, transport),
    watch: createClient(WatchService, transport),
    pubsub: createClient(PubSubService, transport),
    server: createClient(ServerService, transport),
    auth: createClient(AuthService, transport),
    transport,
  };
}
