/**
 * Test helpers for the API services (used by *.test.ts files only; not part of the public API):
 * every service over a test store, reached in-process through a router transport.
 */
import { type Client, ConnectError, createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { CommandService } from "../gen/memorabilia/v1/command_service_pb.js";
import { HashesService } from "../gen/memorabilia/v1/hashes_service_pb.js";
import { KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import { SetsService } from "../gen/memorabilia/v1/sets_service_pb.js";
import { SortedSetsService } from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import type { StoreOptions } from "../store/store.js";
import { createTestStore, type TestStore } from "../store/testing.js";
import type { ApiLogger } from "./error-map.js";
import { registerMemorabiliaServices } from "./register.js";

/** A test store with a client per service and a recording logger. */
export interface TestApi extends TestStore {
  readonly transport: Transport;
  readonly keys: Client<typeof KeysService>;
  readonly strings: Client<typeof StringsService>;
  readonly lists: Client<typeof ListsService>;
  readonly hashes: Client<typeof HashesService>;
  readonly sets: Client<typeof SetsService>;
  readonly zsets: Client<typeof SortedSetsService>;
  readonly commands: Client<typeof CommandService>;
  /** What the services logged (unexpected errors). */
  readonly logged: { message: string; error: unknown; procedure?: string }[];
}

/** Creates a {@link TestApi}. */
export function createTestApi(options: StoreOptions = {}): TestApi {
  const t = createTestStore(options);
  const logged: TestApi["logged"] = [];
  const logger: ApiLogger = { error: (message, d) => logged.push({ message, ...d }) };
  const transport = createRouterTransport((router) => registerMemorabiliaServices(router, t.store, { logger }));
  return {
    ...t,
    transport,
    keys: createClient(KeysService, transport),
    strings: createClient(StringsService, transport),
    lists: createClient(ListsService, transport),
    hashes: createClient(HashesService, transport),
    sets: createClient(SetsService, transport),
    zsets: createClient(SortedSetsService, transport),
    commands: createClient(CommandService, transport),
    logged,
  };
}

/** The ConnectError a call failed with; throws if the call succeeded. */
export async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** UTF-8 bytes of text (for bytes fields). */
export const b = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Text of UTF-8 bytes (for comparing bytes fields). */
export const s = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);
