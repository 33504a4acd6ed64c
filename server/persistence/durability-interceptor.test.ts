import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../shared/store/errors.js";
import { durabilityInterceptor } from "./durability-interceptor.js";
import type { Persistence } from "./types.js";

/** A log at position `seq`, failing or not, with durable() following the Persistence contract. */
function fakeLog() {
  const log = { seq: 0, failing: false, waits: 0 };
  const p = {
    mark: () => log.seq,
    durable: (since = -1) => {
      log.waits++;
      if (log.failing && log.seq > since) return Promise.reject(new StoreError("MISCONF", "MISCONF Errors writing"));
      return Promise.resolve();
    },
  } as unknown as Persistence;
  return { log, p };
}

type Any = never;
const run = (p: Persistence, methodKind: string, messages: number, onMessage: (i: number) => void) => {
  const next = async () => ({
    stream: true,
    message: (async function* () {
      for (let i = 0; i < messages; i++) {
        onMessage(i);
        yield { i };
      }
    })(),
  });
  return durabilityInterceptor(p)(next as Any)({ method: { methodKind }, stream: true } as Any) as Promise<{
    message: AsyncIterable<unknown>;
  }>;
};

describe("durabilityInterceptor", () => {
  it("a unary reply waits for the log; MISCONF as UNAVAILABLE when the call may have written", async () => {
    const { log, p } = fakeLog();
    const call = (writes: boolean) =>
      durabilityInterceptor(p)((async () => {
        if (writes) log.seq++;
        return { stream: false, message: {} };
      }) as Any)({ method: { methodKind: "unary" } } as Any);
    await expect(call(true)).resolves.toBeDefined();
    log.failing = true;
    const error = await call(true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
    expect((error as ConnectError).rawMessage).toMatch(/^MISCONF/);
    await expect(call(false)).resolves.toBeDefined(); // changed nothing: answered at once
  });

  it("a server stream (Subscribe) is never failed by a broken log; a Pipeline message that may have written is", async () => {
    const { log, p } = fakeLog();
    log.failing = true;
    const got: unknown[] = [];
    const server = await run(p, "server_streaming", 5, () => log.seq++); // others write meanwhile
    for await (const m of server.message) got.push(m);
    expect(got).toHaveLength(5);
    const pipeline = await run(p, "bidi_streaming", 5, () => log.seq++);
    await expect(
      (async () => {
        for await (const _ of pipeline.message) {
          /* drain */
        }
      })(),
    ).rejects.toMatchObject({ code: Code.Unavailable });
  });
});
