import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { AuthService } from "../../../shared/gen/memorabilia/v1/auth_service_pb.js";
import { CommandService } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { HashesService } from "../../../shared/gen/memorabilia/v1/hashes_service_pb.js";
import { KeysService } from "../../../shared/gen/memorabilia/v1/keys_service_pb.js";
import { ListsService } from "../../../shared/gen/memorabilia/v1/lists_service_pb.js";
import { ServerService } from "../../../shared/gen/memorabilia/v1/server_service_pb.js";
import { SetsService } from "../../../shared/gen/memorabilia/v1/sets_service_pb.js";
import { SortedSetsService } from "../../../shared/gen/memorabilia/v1/sorted_sets_service_pb.js";
import { StringsService } from "../../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { WatchService } from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";

/** One typed client per service the console uses, over one transport. */
export interface Clients {
  readonly keys: Client<typeof KeysService>;
  readonly strings: Client<typeof StringsService>;
  readonly lists: Client<typeof ListsService>;
  readonly hashes: Client<typeof HashesService>;
  readonly sets: Client<typeof SetsService>;
  readonly zsets: Client<typeof SortedSetsService>;
  readonly command: Client<typeof CommandService>;
  readonly auth: Client<typeof AuthService>;
  readonly watch: Client<typeof WatchService>;
  readonly server: Client<typeof ServerService>;
}

/** Creates the console's clients over `transport` (gRPC-Web to the server, or in-page). */
export function createClients(transport: Transport): Clients {
  return {
    keys: createClient(KeysService, transport),
    strings: createClient(StringsService, transport),
    lists: createClient(ListsService, transport),
    hashes: createClient(HashesService, transport),
    sets: createClient(SetsService, transport),
    zsets: createClient(SortedSetsService, transport),
    command: createClient(CommandService, transport),
    auth: createClient(AuthService, transport),
    watch: createClient(WatchService, transport),
    server: createClient(ServerService, transport),
  };
}
