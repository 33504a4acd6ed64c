/**
 * Memorabilia's typed client: `import { createMemorabiliaClient } from "memorabilia/client"`.
 *
 * Runtime-neutral. The clients are the generated Connect clients of each service (one per Redis
 * command group, plus Watch, Pub/Sub, transactions, server info and auth), over any transport;
 * the helpers add what the raw RPCs leave to the caller: durations (`ttl("10s")`), UTF-8
 * conversion (`utf8`, `text`), typed commands (`command`, `raw`) for `batch()` and `pipeline()`,
 * `watch()` as an async iterator and the bearer-token interceptor.
 *
 * In Node, `memorabilia/client` resolves to `server/client-node.ts`, whose
 * `createMemorabiliaClient` adds gRPC over HTTP/2 (and so Pipeline).
 *
 * @example
 * ```ts
 * import { createMemorabiliaClient, ttl, utf8, text } from "memorabilia/client";
 * const client = createMemorabiliaClient({ baseUrl: "http://127.0.0.1:7379" });
 * await client.strings.set({ key: "greeting", value: utf8("hello"), expiry: { case: "ttlMs", value: ttl("10s") } });
 * console.log(text((await client.strings.get({ key: "greeting" })).value));
 * ```
 */
export { bearerAuth } from "./auth.js";
export { batch } from "./batch.js";
export { text, utf8 } from "./bytes.js";
export { createServiceClients, type MemorabiliaClient } from "./clients.js";
export {
  type CommandInit,
  type CommandName,
  type CommandRequest,
  type CommandResultKind,
  command,
  raw,
} from "./command.js";
export { type Pipeline, pipeline } from "./pipeline.js";
export { type Duration, formatDuration, ms, ttl } from "./ttl.js";
export { type WatchItem, type WatchOptions, watch } from "./watch.js";
export { createMemorabiliaClient, type WebClientOptions } from "./web.js";
