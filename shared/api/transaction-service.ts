/**
 * TransactionService: Exec (atomic, all-or-nothing, with preconditions), Batch (independent
 * commands in one call) and Pipeline (a bidirectional stream of commands answered in order).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type ExecRequest,
  type ExecResponseSchema,
  type PipelineRequest,
  type PipelineResponseSchema,
  type Precondition,
  TransactionService,
} from "../gen/memorabilia/v1/transaction_service_pb.js";
import { type Bytes, bytesFromArray } from "../store/bytes.js";
import type { CommandClient } from "../store/command-log.js";
import { StoreError } from "../store/errors.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { TransactionError } from "../store/transaction.js";
import { bin, invalidArgument, key, requireTrue } from "./args.js";
import { callClient } from "./call-client.js";
import { CommandDispatcher, type Recording, recordCommands, replayCommands } from "./command-dispatch.js";
import { answerInOrder } from "./concurrent.js";
import { consoleLogger, ERROR_CODE_HEADER, toConnectError } from "./error-map.js";
import { checkSignal, invokeBatch } from "./invoke.js";
import { RemoteBatches, type RemoteBatchOptions } from "./remote-batch.js";
import { guarded, type ServiceOptions } from "./service-options.js";
import { StreamCounter } from "./streaming-options.js";

/** Checks re-run when a watched key changed between the check and the commit, before giving up. */
const MAX_ATTEMPTS = 16;

type ExecResult = MessageInitShape<typeof ExecResponseSchema>;

/** Throws INVALID_ARGUMENT for a precondition without a check (or a false `exists`/`missing`). */
function validatePreconditions(preconditions: readonly Precondition[]): void {
  preconditions.forEach((p, i) => {
    const c = p.check;
    if (c.case === undefined) throw invalidArgument(`preconditions[${i}].check is required`);
    if (c.case === "exists") requireTrue(c.value, `preconditions[${i}].exists`);
    if (c.case === "missing") requireTrue(c.value, `preconditions[${i}].missing`);
  });
}

/** The read a precondition is checked with (run on the watched key, before the commands). */
function checkCommand(p: Precondition): Bytes[] {
  const k = key(p.key);
  switch (p.check.case) {
    case "valueEquals":
      return ["GET", k];
    case "hashField":
      return ["HGET", k, bin(p.check.value.field)];
    case "listElement":
      return ["LINDEX", k, String(p.check.value.index)];
    case "setMember":
      return ["SISMEMBER", k, bin(p.check.value.member)];
    case "sortedSetMember":
      return ["ZSCORE", k, bin(p.check.value.member)];
    default:
      return ["EXISTS", k];
  }
}

/** A ZSCORE reply as a number (`inf`, `-inf` included). */
function scoreOf(reply: Reply | StoreError): number | undefined {
  if (typeof reply !== "string") return undefined;
  if (reply === "inf" || reply === "+inf") return Number.POSITIVE_INFINITY;
  if (reply === "-inf") return Number.NEGATIVE_INFINITY;
  return Number(reply);
}

/** Whether precondition `p` holds, given the reply of its {@link checkCommand}. */
function holds(p: Precondition, r: Reply | StoreError): boolean {
  // A key of another type (WRONGTYPE) never holds, whatever the check.
  if (r instanceof StoreError) return false;
  const c = p.check;
  switch (c.case) {
    case "exists":
      return r === 1;
    case "missing":
      return r === 0;
    case "valueEquals":
      return typeof r === "string" && r === bytesFromArray(c.value);
    case "hashField":
      return c.value.value === undefined ? r === null : typeof r === "string" && r === bytesFromArray(c.value.value);
    case "listElement":
      return typeof r === "string" && r === bytesFromArray(c.value.value);
    case "setMember":
      return r === (c.value.present ? 1 : 0);
    case "sortedSetMember":
      return c.value.score === undefined ? r === null : scoreOf(r) === c.value.score;
    default:
      return false;
  }
}

/** The 0-based indexes of the preconditions that do not hold now. */
async function failedPreconditions(
  store: Store,
  preconditions: readonly Precondition[],
  signal: HandlerContext,
): Promise<number[]> {
  const replies = await invokeBatch(store, preconditions.map(checkCommand), signal);
  const failed: number[] = [];
  preconditions.forEach((p, i) => {
    if (!holds(p, replies[i] as Reply | StoreError)) failed.push(i);
  });
  return failed;
}

/** The command (not argv) index of flattened argv `index`. */
function commandIndexOf(recording: Recording, index: number): number {
  let seen = 0;
  for (let i = 0; i < recording.argvs.length; i++) {
    seen += (recording.argvs[i] as Bytes[][]).length;
    if (index < seen) return i;
  }
  return -1;
}

/**
 * A failed transaction as the RPC's error: the store's code and message, with the index of the
 * command at fault (in the message and the `memorabilia-command-index` header), and for EXECABORT
 * the reason the command was refused.
 */
function transactionFailure(error: TransactionError, recording: Recording, options: ServiceOptions): ConnectError {
  const index = commandIndexOf(recording, error.index);
  const cause = error.cause instanceof StoreError ? error.cause : error;
  const message =
    error.code === "EXEC_ABORT"
      ? `${error.message} (commands[${index}]: ${cause.message})`
      : `${cause.message} (commands[${index}]: the transaction was rolled back)`;
  const ce = toConnectError(new StoreError(error.code, message, { cause: error }), options.logger ?? consoleLogger);
  ce.metadata.set("memorabilia-command-index", String(index));
  return ce;
}

const MULTI: readonly Bytes[] = ["MULTI"];
const EXEC: readonly Bytes[] = ["EXEC"];

/** One Exec call (see transaction_service.proto for the contract). */
async function exec(store: Store, req: ExecRequest, ctx: HandlerContext, options: ServiceOptions): Promise<ExecResult> {
  checkSignal(ctx);
  validatePreconditions(req.preconditions);
  const recording = await recordCommands(store, req.commands, ctx, options);
  const argvs = recording.argvs.flat();
  const watchKeys = req.preconditions.map((p) => key(p.key));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    checkSignal(ctx);
    // Watch first, then check: a change after the check makes the transaction return null, and
    // the preconditions are checked again on the new state.
    const watch = watchKeys.length === 0 ? undefined : await store.watchBytes(watchKeys);
    try {
      if (watch !== undefined) {
        const failed = await failedPreconditions(store, req.preconditions, ctx);
        if (failed.length !== 0) return { committed: false, failedPreconditions: failed };
      }
      let replies: Reply[] | null;
      // In the command log as Redis logs a MULTI/EXEC: MULTI, each command that ran (with its own
      // time, recorded by the store), then EXEC (shown to monitors, never slow-logged).
      const log = store.commandLog;
      const client: CommandClient | undefined = log.timing ? callClient(ctx) : undefined;
      if (client !== undefined) log.recordFor(MULTI, performance.now(), client);
      const started = performance.now();
      try {
        replies = await store.transactionBytes(argvs, watch, client === undefined ? undefined : { client });
      } catch (error) {
        if (error instanceof TransactionError) throw transactionFailure(error, recording, options);
        throw error;
      } finally {
        if (client !== undefined) log.recordFor(EXEC, started, client);
      }
      if (replies === null) continue;
      return { committed: true, results: await replayCommands(store, recording, replies, ctx, options) };
    } finally {
      watch?.release();
    }
  }
  throw new ConnectError(
    `transaction not run: its precondition keys changed ${MAX_ATTEMPTS} times while it was being checked`,
    Code.Aborted,
    { [ERROR_CODE_HEADER]: "ABORTED" },
  );
}

/** The stream of one Pipeline call: each request answered in order. */
function pipeline(
  dispatcher: CommandDispatcher,
  remote: RemoteBatches | undefined,
  requests: AsyncIterable<PipelineRequest>,
  ctx: HandlerContext,
): AsyncIterable<PipelineResponseInit> {
  if (remote === undefined) return new LocalPipeline(dispatcher, requests, ctx);
  return remotePipeline(remote, requests, ctx);
}

/** A remote engine: each request starts when it arrives (the requests of one turn run in groups, remote-batch.ts); answers still go out in order. */
async function* remotePipeline(
  remote: RemoteBatches,
  requests: AsyncIterable<PipelineRequest>,
  ctx: HandlerContext,
): AsyncGenerator<PipelineResponseInit> {
  const start = remote.pipeline(ctx);
  yield* answerInOrder(requests, async (request) => {
    checkSignal(ctx);
    return { id: request.id, result: await start(request.command) };
  });
}

type PipelineResponseInit = MessageInitShape<typeof PipelineResponseSchema>;

/**
 * The Pipeline stream on a synchronous (in-memory) engine: the async generator
 * `for await (const request of requests) { checkSignal(ctx); yield { id, result: await run(command) } }`
 * written out as an iterator, so that a command costs one `then` on its request instead of a
 * generator's resumptions, the `await` of a result already there and their promises (the
 * in-memory engine answers synchronously: {@link CommandDispatcher.runNow}). Steps as that
 * generator's: nothing is pulled before the first `next`; a cancelled call or a thrown command
 * closes the requests (`return`, as `for await` closes them on a throw) and rejects; a failed
 * pull rejects without closing; once done or failed every `next` is done. Pulled one at a time:
 * it is only consumed through {@link StreamCounter.guard}, which queues pulls as a generator does.
 */
class LocalPipeline implements AsyncIterableIterator<PipelineResponseInit> {
  #requests: AsyncIterator<PipelineRequest> | undefined;
  #finished = false;

  constructor(
    private readonly dispatcher: CommandDispatcher,
    private readonly source: AsyncIterable<PipelineRequest>,
    private readonly ctx: HandlerContext,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<PipelineResponseInit>> {
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    this.#requests ??= this.source[Symbol.asyncIterator]();
    return this.#requests.next().then(this.#answer, this.#broken);
  }

  return(value?: unknown): Promise<IteratorResult<PipelineResponseInit>> {
    const requests = this.#requests;
    const wasFinished = this.#finished;
    this.#finished = true;
    const end = { done: true, value } as IteratorResult<PipelineResponseInit>;
    if (wasFinished || requests?.return === undefined) return Promise.resolve(end);
    return Promise.resolve(requests.return()).then(() => end);
  }

  /** Runs the request pulled (or ends with the requests). */
  readonly #answer = (
    r: IteratorResult<PipelineRequest>,
  ): IteratorResult<PipelineResponseInit> | Promise<IteratorResult<PipelineResponseInit>> => {
    if (r.done === true) {
      this.#finished = true;
      return { done: true, value: undefined };
    }
    const id = r.value.id;
    let result: ReturnType<CommandDispatcher["runNow"]>;
    try {
      checkSignal(this.ctx);
      result = this.dispatcher.runNow(r.value.command, this.ctx);
    } catch (error) {
      return this.#abandon(error);
    }
    if (result instanceof Promise)
      return result.then((value) => ({ done: false, value: { id, result: value } }), this.#abandon);
    return { done: false, value: { id, result } };
  };

  /** The call is over (cancelled): the requests are closed, then the error is thrown. */
  readonly #abandon = (error: unknown): Promise<never> => {
    this.#finished = true;
    const requests = this.#requests;
    if (requests?.return === undefined) return Promise.reject(error);
    const rethrow = () => {
      throw error;
    };
    // As `for await` closes its iterator on a throw: the return's own failure is not reported.
    let closing: unknown;
    try {
      closing = requests.return();
    } catch {
      return Promise.reject(error);
    }
    return Promise.resolve(closing).then(rethrow, rethrow);
  };

  /** A pull failed (a bad message, the client's reset): thrown as it is, nothing more pulled. */
  readonly #broken = (error: unknown): never => {
    this.#finished = true;
    throw error;
  };
}

/** Creates the TransactionService implementation over `store` (`defer`: see {@link RemoteBatchOptions}). */
export function createTransactionService(
  store: Store,
  options: RemoteBatchOptions = {},
  streams: StreamCounter = new StreamCounter(),
): ServiceImpl<typeof TransactionService> {
  const dispatcher = new CommandDispatcher(store, options);
  const remote = store.repository.capabilities.synchronous ? undefined : new RemoteBatches(store, options);
  const logger = options.logger ?? consoleLogger;
  const procedure = `/${TransactionService.typeName}/${TransactionService.method.pipeline.name}`;
  const unary = guarded(
    TransactionService,
    {
      exec: (req, ctx) => exec(store, req, ctx, options),
      async batch(req, ctx) {
        checkSignal(ctx);
        if (remote !== undefined) {
          // A remote engine: commands issued in order, run in groups (per-key order kept).
          return { results: await remote.batch(req.commands, ctx) };
        }
        const results = [];
        for (const command of req.commands) results.push(await dispatcher.run(command, ctx));
        return { results };
      },
      // Pipeline is added below: guarded() wraps unary handlers only.
    } as ServiceImpl<typeof TransactionService>,
    options,
  );
  return {
    ...unary,
    pipeline(requests, ctx) {
      return streams.guard(pipeline(dispatcher, remote, requests, ctx), logger, procedure);
    },
  };
}
