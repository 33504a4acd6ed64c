/**
 * Errors that echo input, and the compressed flag (issue 12, item 12). A 64 KiB+ sweep pattern was
 * echoed whole into grpc-message: past HTTP/2's header limit the stream was reset with no status.
 * A compressed flag with no grpc-encoding answered INTERNAL (never a server error: the client's).
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerService } from "../../shared/gen/memorabilia/v1/server_service_pb.js";
import { grpcRequest } from "../support/h2-client.js";
import type { ServerProcess } from "../support/server-process.js";
import { startBundledServer, startHealthProbe } from "./hostile-support.js";
import { transports } from "./support.js";

describe("echoed input and the compressed flag", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startBundledServer([]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([1024, 100 * 1024, 4 << 20])(
    "SetConfig with a %i-byte bad sweep pattern: INVALID_ARGUMENT quoting at most 128 characters, on every protocol",
    async (size) => {
      const probe = startHealthProbe(server.url);
      for (const [name, transport] of transports(server.url)) {
        const client = createClient(ServerService, transport);
        const error = await client.setConfig({ sweepPattern: "x".repeat(size) }).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect(error?.code, name).toBe(Code.InvalidArgument);
        expect(error?.rawMessage, name).toMatch(/^ERR invalid sweep pattern 'x{128}\.\.\.'/);
        expect(error?.rawMessage.length, name).toBeLessThan(600);
      }
      expect((await probe.stop()).failures).toEqual([]);
    },
  );

  it.each(["/memorabilia.v1.CommandService/Execute", "/memorabilia.v1.WatchService/Watch"])(
    "%s: a compressed flag with no grpc-encoding is INVALID_ARGUMENT, not INTERNAL",
    async (path) => {
      const status = (await grpcRequest(server.url, path, Buffer.from([1, 0, 0, 0, 3, 10, 1, 97]))).grpcStatus;
      expect(status).toBe(String(Code.InvalidArgument));
    },
  );
});
