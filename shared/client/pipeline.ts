/**
 * `pipeline()`: a long-lived bidirectional stream of typed commands (TransactionService.Pipeline,
 * gRPC over HTTP/2 only). Commands are sent as they are queued, replies come back in order and
 * resolve the promise of their command. Not atomic; for throughput.
 */

import { create } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";
import {
  type Command,
  type CommandResult,
  type PipelineRequest,
  PipelineRequestSchema,
  type TransactionService,
} from "../gen/memorabilia/v1/transaction_service_pb.js";

/** An open pipeline. */
export interface Pipeline {
  /** Queues a command and resolves with its result (a failed command resolves with an `"error"` result). */
  send(command: Command): Promise<CommandResult>;
  /** Queues several commands and resolves with their results, in order. */
  sendAll(commands: readonly Command[]): Promise<CommandResult[]>;
  /** Ends the request stream and waits for the outstanding replies. Idempotent. */
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: unknown) => void;
}

/** A minimal async queue: the request stream the transport reads from. */
function createRequestQueue() {
  const items: PipelineRequest[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const iterable: AsyncIterable<PipelineRequest> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = items.shift();
        if (item) {
          yield item;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
  };
  return {
    iterable,
    push(item: PipelineRequest) {
      items.push(item);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

/**
 * Opens a pipeline over TransactionService.Pipeline. Replies arrive in request order; each
 * carries the id of its request, which is checked.
 *
 * @example
 * ```ts
 * const p = pipeline(client.transaction);
 * const results = await p.sendAll(keys.map((key) => command("get", { key })));
 * await p.close();
 * ```
 */
export function pipeline(transaction: Client<typeof TransactionService>, options?: CallOptions): Pipeline {
  const queue = createRequestQueue();
  const pending = new Map<bigint, Pending>();
  let nextId = 1n;
  let failure: unknown;
  const responses = transaction.pipeline(queue.iterable, options);
  const reading = (async () => {
    try {
      for await (const response of responses) {
        const waiter = pending.get(response.id);
        if (!waiter) throw new Error(`pipeline: reply for unknown id ${response.id}`);
        pending.delete(response.id);
        if (response.result) waiter.resolve(response.result);
        else waiter.reject(new Error(`pipeline: reply ${response.id} carries no result`));
      }
      if (pending.size > 0) throw new Error(`pipeline: stream ended with ${pending.size} commands unanswered`);
    } catch (error) {
      failure = error;
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    }
  })();
  let closed = false;
  const send = (command: Command): Promise<CommandResult> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (closed) return Promise.reject(new Error("pipeline: closed"));
    const id = nextId++;
    const result = new Promise<CommandResult>((resolve, reject) => pending.set(id, { resolve, reject }));
    queue.push(create(PipelineRequestSchema, { id, command }));
    return result;
  };
  return {
    send,
    sendAll: (commands) => Promise.all(commands.map(send)),
    async close() {
      if (!closed) {
        closed = true;
        queue.end();
      }
      await reading;
      if (failure !== undefined) throw failure;
    },
  };
}
