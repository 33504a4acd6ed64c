/**
 * The project's own Node client and a request past the server's limit (issue 12, item 15): with
 * Node's default HTTP/2 session memory (10 MB) a 20 MB request hung until its deadline, the
 * server's early RESOURCE_EXHAUSTED never read. It must arrive, promptly, for 20 MB and 100 MB.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorabiliaClient } from "../../server/client-node.js";
import type { ServerProcess } from "../support/server-process.js";
import { startBundledServer, startHealthProbe } from "./hostile-support.js";

describe("Node client: a request past --max-request-bytes", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startBundledServer([]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([20, 100])("%i MB: RESOURCE_EXHAUSTED arrives (not the deadline)", async (mb) => {
    const probe = startHealthProbe(server.url);
    const client = createMemorabiliaClient({ baseUrl: server.url, defaultTimeoutMs: 25_000 });
    const enc = new TextEncoder();
    try {
      const error = await client.command
        .execute({ args: [enc.encode("SET"), enc.encode("k"), new Uint8Array(mb << 20)] })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(error?.code).toBe(Code.ResourceExhausted);
      expect(error?.rawMessage).toMatch(/larger than configured readMaxBytes 16777216/);
    } finally {
      client.close();
    }
    expect((await probe.stop()).failures).toEqual([]);
  });
});
