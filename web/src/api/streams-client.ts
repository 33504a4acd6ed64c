import { type Client, createClient } from "@connectrpc/connect";
import { StreamsService } from "../../../shared/gen/memorabilia/v1/streams_service_pb.js";
import type { Clients } from "./clients.js";

const cache = new WeakMap<Clients, Client<typeof StreamsService>>();

/** The typed StreamsService client over the console's transport (one per set of clients). */
export function streamsOf(clients: Clients): Client<typeof StreamsService> {
  let c = cache.get(clients);
  if (!c) {
    c = createClient(StreamsService, clients.transport);
    cache.set(clients, c);
  }
  return c;
}
