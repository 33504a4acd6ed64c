/**
 * A RESP connection without a kernel: a socket whose writes a subclass records or counts, and a
 * host with the port's defaults over a given store. Used by the connection's unit tests and by the
 * in-process RESP probe (test/bench/resp-inprocess.ts), which must drive RespConnection alike.
 */
import { EventEmitter } from "node:events";
import type { RespHost } from "../../server/resp/resp-host.js";
import type { Store } from "../../shared/store/store.js";

/** The part of `net.Socket` RespConnection uses; `write` is the subclass's (it records or counts). */
export abstract class FakeRespSocket extends EventEmitter {
  remoteAddress = "127.0.0.1";
  remotePort = 1;
  abstract get writableLength(): number;
  abstract write(b: Buffer): boolean;
  cork(): void {}
  uncork(): void {}
  setNoDelay(): void {}
  setTimeout(): void {}
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
}

/** The parser limits a fake host gives its connections (the port's are set per server). */
export interface FakeParserLimits {
  readonly maxArgs: number;
  readonly maxBulkBytes: number;
  readonly maxRequestBytes: number;
}

/** A host over `store`: no auth, no idle timeout, no output buffer limit, 100 clients, quiet logger. */
export function fakeRespHost(store: Store, limits: FakeParserLimits): RespHost {
  let id = 0;
  return {
    store,
    tokens: { enabled: false },
    settings: { timeoutSeconds: 0, maxClients: 100, outputBufferLimit: 0 },
    clients: new Map(),
    counters: { connections: 0, rejected: 0, commands: 0, outputLimitDisconnects: 0, pubsubMessages: 0 },
    logger: { info() {}, warn() {}, error() {} },
    durable: undefined,
    requestBytes: undefined,
    parserLimits: () => limits,
    nextClientId: () => ++id,
  } as unknown as RespHost;
}
