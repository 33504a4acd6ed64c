/**
 * The stream guard (`StreamCounter.guard`) and the in-memory Pipeline are iterators written out by
 * hand (fewer promises per message than async generators). Each is played here against the async
 * generator it replaced, kept below verbatim as the reference, over scripted sources and hostile
 * call sequences (early return, concurrent pulls, a throw injected, a source that throws, a
 * cancelled call, a refused stream): every step must settle the same way (value, done, or the
 * same error), with the same count of open and refused streams and the same calls on the source.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  CommandSchema,
  type PipelineRequest,
  PipelineRequestSchema,
  TransactionService,
} from "../gen/memorabilia/v1/transaction_service_pb.js";
import { createStore } from "../store/store.js";
import { CommandDispatcher } from "./command-dispatch.js";
import { type ApiLogger, toConnectError } from "./error-map.js";
import { checkSignal } from "./invoke.js";
import { StreamCounter } from "./streaming-options.js";
import { createTransactionService } from "./transaction-service.js";

/** The guard as it was (session 9): the reference. */
async function* referenceGuard<T>(
  counter: StreamCounter,
  source: AsyncIterable<T>,
  logger: ApiLogger,
  procedure: string,
): AsyncGenerator<T> {
  if (counter.open >= counter.limit) {
    counter.refused++;
    await (source as Partial<AsyncGenerator<T>>).return?.(undefined);
    throw new ConnectError(
      `too many streams open on this server (${counter.limit}): close some or raise the server's stream limit`,
      Code.ResourceExhausted,
    );
  }
  counter.open++;
  try {
    yield* source;
  } catch (error) {
    throw toConnectError(error, logger, procedure);
  } finally {
    counter.open--;
  }
}

/** The in-memory Pipeline as it was (session 9): the reference. */
async function* referencePipeline(
  dispatcher: CommandDispatcher,
  requests: AsyncIterable<PipelineRequest>,
  ctx: HandlerContext,
) {
  for await (const request of requests) {
    checkSignal(ctx);
    yield { id: request.id, result: await dispatcher.run(request.command, ctx) };
  }
}

type Script = readonly ({ yield: unknown } | { throw: unknown } | { return: unknown })[];

/** A source playing `script` (each step after a microtask), logging the calls made on it. */
function scripted(script: Script, log: string[], options: { noThrow?: boolean; badIterator?: boolean } = {}) {
  let at = 0;
  let closed = false;
  let busy = false;
  const it: AsyncIterator<unknown> = {
    async next() {
      // A pull while one is pending: a queue such as the request queue (one waiter) would lose one.
      log.push(busy ? "next while pending" : "next");
      busy = true;
      await null;
      await null;
      busy = false;
      if (closed) return { done: true, value: undefined };
      const step = script[at++];
      if (step === undefined) return { done: true, value: undefined };
      if ("throw" in step) throw step.throw;
      if ("return" in step) {
        closed = true;
        return { done: true, value: step.return };
      }
      return { done: false, value: step.yield };
    },
    async return(v?: unknown) {
      log.push(`return ${String(v)}`);
      closed = true;
      return { done: true, value: v };
    },
  };
  if (!options.noThrow)
    it.throw = async (e?: unknown) => {
      log.push("throw");
      closed = true;
      throw e;
    };
  return {
    [Symbol.asyncIterator]() {
      log.push("iterator");
      if (options.badIterator) throw new Error("no iterator");
      return it;
    },
  };
}

type Call = "next" | "return" | "throw" | "next2";

/** Plays `calls` on a stream made by `make`, recording every outcome and the counter after each. */
async function play(
  make: (counter: StreamCounter, source: AsyncIterable<unknown>, logger: ApiLogger) => AsyncIterator<unknown>,
  script: Script,
  calls: readonly Call[],
  options: { limit?: number; noThrow?: boolean; badIterator?: boolean } = {},
) {
  const counter = new StreamCounter();
  if (options.limit !== undefined) counter.limit = options.limit;
  const log: string[] = [];
  const logged: unknown[] = [];
  const logger: ApiLogger = { error: (m) => logged.push(String(m).split("\n")[0]) };
  const stream = make(counter, scripted(script, log, options), logger);
  const settle = (p: Promise<IteratorResult<unknown>>) =>
    p.then(
      (r) => ({ done: r.done, value: r.value }),
      (e: unknown) =>
        e instanceof ConnectError ? { code: e.code, message: e.rawMessage } : { error: String(e).split("\n")[0] },
    );
  const out: unknown[] = [];
  for (const call of calls) {
    if (call === "next2") {
      // Two pulls at once: answered in call order, as a generator queues them.
      out.push(await Promise.all([settle(stream.next()), settle(stream.next())]));
    } else if (call === "next") out.push(await settle(stream.next()));
    else if (call === "return") out.push(await settle((stream.return as (v: unknown) => Promise<never>)("bye")));
    else out.push(await settle((stream.throw as (e: unknown) => Promise<never>)(new Error("injected"))));
    out.push({ open: counter.open, refused: counter.refused });
  }
  return { out, log, logged };
}

describe("StreamCounter.guard is the generator it replaced", () => {
  const ours = (c: StreamCounter, s: AsyncIterable<unknown>, l: ApiLogger) => c.guard(s, l, "/p/Q");
  const ref = (c: StreamCounter, s: AsyncIterable<unknown>, l: ApiLogger) => referenceGuard(c, s, l, "/p/Q");
  const three: Script = [{ yield: 1 }, { yield: 2 }, { yield: 3 }];
  const cases: [string, Script, Call[], { limit?: number; noThrow?: boolean; badIterator?: boolean }?][] = [
    ["to the end and past it", three, ["next", "next", "next", "next", "next"]],
    ["a source that ends with a value", [{ yield: 1 }, { return: "v" }], ["next", "next", "next"]],
    ["return mid-stream, then next", three, ["next", "return", "next"]],
    ["return before the first next", three, ["return", "next", "next"]],
    ["concurrent pulls", three, ["next2", "next2", "next"]],
    ["concurrent pulls across the end", [{ yield: 1 }], ["next2", "next2"]],
    [
      "an unexpected error (mapped, logged once)",
      [{ yield: 1 }, { throw: new Error("boom") }],
      ["next", "next", "next"],
    ],
    [
      "a ConnectError passes as it is",
      [{ throw: new ConnectError("nope", Code.FailedPrecondition) }],
      ["next", "next"],
    ],
    ["throw injected", three, ["next", "throw", "next"]],
    ["throw injected into a source without throw", three, ["next", "throw", "next"], { noThrow: true }],
    ["throw before the first next", three, ["throw", "next"]],
    ["refused past the limit", three, ["next", "next", "return"], { limit: 0 }],
    ["a source whose iterator throws", three, ["next", "next"], { badIterator: true }],
    ["next then return then return", three, ["next", "return", "return", "next"]],
  ];
  for (const [name, script, calls, options] of cases)
    it(name, async () => {
      const a = await play(ours, script, calls, options);
      const b = await play(ref, script, calls, options);
      expect(a).toEqual(b);
    });
});

/** A handler context of a Pipeline call. */
const pipelineContext = () =>
  createHandlerContext({
    service: TransactionService,
    method: TransactionService.method.pipeline,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://localhost/memorabilia.v1.TransactionService/Pipeline",
  });

describe("the in-memory Pipeline is the generator it replaced", () => {
  const request = (id: number, command?: Parameters<typeof create<typeof CommandSchema>>[1]) =>
    create(PipelineRequestSchema, { id: BigInt(id), command: command && create(CommandSchema, command) });
  const requests = [
    request(1, { kind: { case: "set", value: { key: "k", value: new TextEncoder().encode("v") } } }),
    request(2, { kind: { case: "get", value: { key: "k" } } }),
    request(3), // no command: an error result
    request(4, { kind: { case: "incrBy", value: { key: "k", delta: 1n } } }), // not an integer: an error result
    request(5, { kind: { case: "get", value: { key: "k" } } }),
  ];
  const silent: ApiLogger = { error: () => {} };

  /** Runs the stream of `script` with `calls` on a new store, ours or the reference. */
  async function run(
    ours: boolean,
    script: Script,
    calls: readonly Call[],
    abortAt?: number,
  ): Promise<{ out: unknown[]; log: string[] }> {
    const store = createStore();
    const ctx = pipelineContext();
    const log: string[] = [];
    const source = scripted(script, log) as AsyncIterable<PipelineRequest>;
    const stream = ours
      ? (createTransactionService(store, { logger: silent }).pipeline(source, ctx) as AsyncIterable<unknown>)[
          Symbol.asyncIterator
        ]()
      : referenceGuard(
          new StreamCounter(),
          referencePipeline(new CommandDispatcher(store, { logger: silent }), source, ctx),
          silent,
          "/memorabilia.v1.TransactionService/Pipeline",
        );
    const out: unknown[] = [];
    let i = 0;
    for (const call of calls) {
      if (i++ === abortAt) ctx.abort(new ConnectError("client went away", Code.Canceled));
      const p =
        call === "return"
          ? (stream.return as (v: unknown) => Promise<IteratorResult<unknown>>)("bye")
          : (stream.next() as Promise<IteratorResult<unknown>>);
      out.push(
        await p.then(
          (r) => ({ done: r.done, value: JSON.stringify(r.value, (_, v) => (typeof v === "bigint" ? `${v}n` : v)) }),
          (e: unknown) => ({ error: ConnectError.from(e).code, message: ConnectError.from(e).rawMessage }),
        ),
      );
    }
    return { out, log };
  }

  const all: Script = requests.map((r) => ({ yield: r }));
  const cases: [string, Script, Call[], number?][] = [
    ["every request answered in order, then done", all, ["next", "next", "next", "next", "next", "next", "next"]],
    [
      "a failed pull (a bad message) rejects and closes nothing",
      [all[0] as never, { throw: new Error("bad") }],
      ["next", "next", "next"],
    ],
    ["the call cancelled mid-stream closes the requests", all, ["next", "next", "next", "next"], 2],
    ["the call cancelled before the first pull", all, ["next", "next"], 0],
    ["the client stops reading: return closes the requests", all, ["next", "return", "next"]],
    ["return before the first pull", all, ["return", "next"]],
  ];
  for (const [name, script, calls, abortAt] of cases)
    it(name, async () => {
      const a = await run(true, script, calls, abortAt);
      const b = await run(false, script, calls, abortAt);
      expect(a).toEqual(b);
      expect(a.out.length).toBe(calls.length);
    });
});

describe("cost of a Pipeline command on the in-memory engine", () => {
  /** Microtask turns until the first answer of a stream whose first request is already queued. */
  async function turnsToAnswer(stream: AsyncIterator<unknown>): Promise<number> {
    let answered = false;
    void stream.next().then(() => {
      answered = true;
    });
    let turns = 0;
    while (!answered && turns < 100) {
      await null;
      turns++;
    }
    return turns;
  }
  /** Requests as the stream lane's queue gives them: each pull of a queued request an already resolved promise. */
  const queued = (): AsyncIterable<PipelineRequest> => {
    const request = create(PipelineRequestSchema, {
      id: 1n,
      command: create(CommandSchema, { kind: { case: "get", value: { key: "k" } } }),
    });
    return {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: false, value: request }) }),
    };
  };
  it("answers a queued request in 3 microtask turns through the guard (the generators took 5)", async () => {
    const silent: ApiLogger = { error: () => {} };
    const store = createStore();
    const ours = (
      createTransactionService(store, { logger: silent }).pipeline(
        queued(),
        pipelineContext(),
      ) as AsyncIterable<unknown>
    )[Symbol.asyncIterator]();
    const reference = referenceGuard(
      new StreamCounter(),
      referencePipeline(new CommandDispatcher(store, { logger: silent }), queued(), pipelineContext()),
      silent,
      "/p",
    );
    const [a, b] = [await turnsToAnswer(ours), await turnsToAnswer(reference)];
    expect(a).toBeLessThanOrEqual(3);
    expect(b).toBeGreaterThan(a);
  });
});
