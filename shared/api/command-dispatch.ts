/**
 * The one mapping from a typed `Command` (transaction_service.proto) to the data-type RPC it
 * names, and the two ways of running it:
 *
 * - {@link CommandDispatcher.run}: call the RPC's own handler over the store (Batch, Pipeline);
 * - {@link recordCommands} then {@link replayCommands}: record the argument vectors the handler
 *   would run, run them all in one `store.transactionBytes()`, and let the same handler turn the
 *   transaction's replies into its typed response (Exec).
 *
 * The table is derived from the descriptors: each oneof case of `Command` carries an RPC's
 * request message, and the `CommandResult` case of the same name its response message, so a new
 * case needs a proto line and nothing here. Argument building, validation and reply conversion
 * stay in the data-type services (written once).
 */
import type { DescMessage, DescMethod, DescService, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
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
import {
  type Command,
  type CommandErrorSchema,
  CommandResultSchema,
  CommandSchema,
} from "../gen/memorabilia/v1/transaction_service_pb.js";
import type { WaitOptions } from "../store/blocking.js";
import type { Bytes } from "../store/bytes.js";
import { CommandLog } from "../store/command-log.js";
import { StoreError } from "../store/errors.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { invalidArgument } from "./args.js";
import { createBitmapsService } from "./bitmaps-service.js";
import { createCommandService } from "./command-service.js";
import { consoleLogger, ERROR_CODE_HEADER, toConnectError } from "./error-map.js";
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

/** A typed command's result, as sent. */
export type CommandResultInit = MessageInitShape<typeof CommandResultSchema>;

type Handler = (request: unknown, context: HandlerContext) => unknown;
type Factory = (store: Store, options: ServiceOptions) => object;

/** The services whose unary RPCs a `Command` may name, with their factories. */
const SERVICES: readonly (readonly [DescService, Factory])[] = [
  [CommandService, createCommandService],
  [KeysService, createKeysService],
  [StringsService, createStringsService],
  [ListsService, createListsService],
  [HashesService, createHashesService],
  [SetsService, createSetsService],
  [SortedSetsService, createSortedSetsService],
  [StreamsService, createStreamsService],
  [BitmapsService, createBitmapsService],
  [HyperLogLogService, createHyperLogLogService],
  [GeoService, createGeoService],
];

/** Where one `Command` case goes. */
interface Route {
  readonly service: DescService;
  readonly method: DescMethod;
}

/** The oneof case of `Command` -> its RPC, checked against `CommandResult` once, at load. */
export const COMMAND_ROUTES: ReadonlyMap<string, Route> = buildRoutes();

function buildRoutes(): Map<string, Route> {
  const byInput = new Map<string, Route>();
  for (const [service] of SERVICES) {
    for (const method of service.methods) {
      if (method.methodKind === "unary") byInput.set(method.input.typeName, { service, method });
    }
  }
  const results = new Map<string, DescMessage | undefined>(
    CommandResultSchema.oneofs[0]?.fields.map((f) => [f.localName, f.message]) ?? [],
  );
  const routes = new Map<string, Route>();
  for (const field of CommandSchema.oneofs[0]?.fields ?? []) {
    const route = field.message && byInput.get(field.message.typeName);
    if (route === undefined) throw new TypeError(`Command.${field.name}: no unary RPC takes this request`);
    if (results.get(field.localName)?.typeName !== route.method.output.typeName) {
      throw new TypeError(`CommandResult.${field.name} must be ${route.method.output.typeName}`);
    }
    routes.set(field.localName, route);
  }
  return routes;
}

/** The route of a command; INVALID_ARGUMENT when its oneof is unset. */
function routeOf(command: Command | undefined): Route {
  const kind = command?.kind.case;
  const route = kind === undefined ? undefined : COMMAND_ROUTES.get(kind);
  if (route === undefined) throw invalidArgument("command: kind is required");
  return route;
}

/** The service implementations over one store (or a stand-in), created on first use. */
class Impls {
  private readonly impls = new Map<DescService, Record<string, Handler>>();
  constructor(
    private readonly store: Store,
    private readonly options: ServiceOptions,
  ) {}

  handler(route: Route): Handler {
    let impl = this.impls.get(route.service);
    if (impl === undefined) {
      const factory = SERVICES.find(([s]) => s === route.service)?.[1] as Factory;
      impl = factory(this.store, this.options) as Record<string, Handler>;
      this.impls.set(route.service, impl);
    }
    return impl[route.method.localName] as Handler;
  }
}

/** A command's failure as a `CommandError` (the same code and message the RPC would fail with). */
export function commandError(
  error: unknown,
  options: ServiceOptions,
  procedure?: string,
): MessageInitShape<typeof CommandErrorSchema> {
  const ce = toConnectError(error, options.logger ?? consoleLogger, procedure);
  return { status: ce.code, code: ce.metadata.get(ERROR_CODE_HEADER) ?? "", message: ce.rawMessage };
}

/** Runs typed commands one at a time through their RPC's handler (Batch, Pipeline). */
export class CommandDispatcher {
  private readonly impls: Impls;

  constructor(
    store: Store,
    private readonly options: ServiceOptions = {},
  ) {
    this.impls = new Impls(store, options);
  }

  /** Runs one command; a failure becomes an `error` result, never a rejection (cancellation aside). */
  async run(command: Command | undefined, context: HandlerContext): Promise<CommandResultInit> {
    return this.runNow(command, context);
  }

  /**
   * {@link run}, with the result itself (no promise) when the command's handler answered
   * synchronously, as the in-memory engine's handlers do: a Pipeline command then costs no
   * `await`. A failure is an `error` result; the call's own cancellation is thrown (synchronously,
   * or as the rejection of the promise returned).
   */
  runNow(command: Command | undefined, context: HandlerContext): CommandResultInit | Promise<CommandResultInit> {
    let route: Route;
    try {
      route = routeOf(command);
    } catch (error) {
      return { kind: { case: "error", value: commandError(error, this.options) } };
    }
    const kind = (command as Command).kind;
    let value: unknown;
    try {
      value = this.impls.handler(route)(kind.value, context);
    } catch (error) {
      return this.failed(error, context);
    }
    if (isPromiseLike(value))
      return Promise.resolve(value).then(
        (v) => ({ kind: { case: kind.case, value: v } }) as CommandResultInit,
        (error: unknown) => this.failed(error, context),
      );
    return { kind: { case: kind.case, value } } as CommandResultInit;
  }

  /** A failed command's `error` result; rethrows when the call itself is over, not just this command. */
  private failed(error: unknown, context: HandlerContext): CommandResultInit {
    if (context.signal.aborted) throw error;
    return { kind: { case: "error", value: commandError(error, this.options) } };
  }
}

/** Whether `value` is a promise or another thenable (what `await` would wait for). */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The argument vectors each command runs, recorded without running anything. */
export interface Recording {
  readonly commands: readonly Command[];
  /** Per command, the argument vectors its RPC runs, in order. */
  readonly argvs: readonly (readonly Bytes[][])[];
}

/**
 * A stand-in for `store` whose `run` — the one entry the data-type handlers use (through invoke) —
 * is `run`: recording and replaying (here) and remote Batch groups (remote-batch.ts). Every other
 * property is the real store's (prototype delegation). Frozen: a handler that wrote a field
 * through it would otherwise set it on the stand-in, silently, instead of on the store; it throws.
 */
export function storeWithRun(
  store: Store,
  run: (argv: readonly Bytes[], wait?: WaitOptions) => Reply | Promise<Reply>,
  commandLog?: CommandLog,
): Store {
  const stub = Object.create(store) as Store;
  Object.defineProperty(stub, "run", { value: run });
  if (commandLog !== undefined) Object.defineProperty(stub, "commandLog", { value: commandLog });
  Object.freeze(stub);
  return stub;
}

/** A stand-in that records or replays (runs nothing: the command log sees the transaction once, as it runs). */
function standIn(store: Store, run: (argv: readonly Bytes[]) => Reply): Store {
  return storeWithRun(store, run, UNLOGGED);
}

/** A command log that asks for no timing (the stand-ins' calls are not commands run). */
const UNLOGGED = new CommandLog();
UNLOGGED.slowerThan = -1;

/**
 * Records the argument vectors of each command by calling its RPC's handler over a stand-in
 * whose `run` captures the argv and fails with a private sentinel. Validation errors of a typed
 * request are thrown as INVALID_ARGUMENT naming the command (`commands[2]: …`).
 */
export async function recordCommands(
  store: Store,
  commands: readonly Command[],
  context: HandlerContext,
  options: ServiceOptions,
): Promise<Recording> {
  const sentinel = new StoreError("ABORTED", "ERR recording");
  let current: Bytes[][] = [];
  const impls = new Impls(
    standIn(store, (argv) => {
      current.push([...argv]);
      throw sentinel; // invokeBatch records it and goes on, so a batch is recorded whole
    }),
    options,
  );
  const argvs: Bytes[][][] = [];
  for (let i = 0; i < commands.length; i++) {
    current = [];
    let returned = false;
    try {
      await impls.handler(routeOf(commands[i]))((commands[i] as Command).kind.value, context);
      returned = true;
    } catch (error) {
      const recorded = error === sentinel || (error instanceof ConnectError && error.cause === sentinel);
      if (!recorded) {
        const ce = toConnectError(error, options.logger ?? consoleLogger);
        throw new ConnectError(`commands[${i}]: ${ce.rawMessage}`, ce.code, ce.metadata);
      }
    }
    if (returned || current.length === 0) {
      throw new ConnectError(`commands[${i}]: this RPC cannot run in a transaction`, Code.InvalidArgument);
    }
    argvs.push(current);
  }
  return { commands, argvs };
}

/**
 * Turns the transaction's replies (one per recorded argv, in order) into each command's typed
 * response, by calling the same handlers over a stand-in whose `run` returns the recorded
 * commands' replies. A handler that runs a command it did not record (one that depends on a
 * reply, such as a scan that then reads each key) is a bug in the table: it fails as INTERNAL.
 */
export async function replayCommands(
  store: Store,
  recording: Recording,
  replies: readonly Reply[],
  context: HandlerContext,
  options: ServiceOptions,
): Promise<CommandResultInit[]> {
  let expected: readonly Bytes[][] = [];
  let next = 0;
  let offset = 0;
  const impls = new Impls(
    standIn(store, (argv) => {
      const want = expected[next];
      if (want === undefined || want.length !== argv.length || want.some((a, j) => a !== argv[j])) {
        throw new TypeError("a command ran on replay that was not recorded");
      }
      return replies[offset + next++] as Reply;
    }),
    options,
  );
  const out: CommandResultInit[] = [];
  for (let i = 0; i < recording.commands.length; i++) {
    const command = recording.commands[i] as Command;
    expected = recording.argvs[i] as Bytes[][];
    next = 0;
    const value = await impls.handler(routeOf(command))(command.kind.value, context);
    // A handler may leave a reply unread (ZRANK's score when the member is missing).
    offset += expected.length;
    out.push({ kind: { case: command.kind.case, value } } as CommandResultInit);
  }
  return out;
}
