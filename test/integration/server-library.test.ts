import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { defaultConfig, startServer } from "../../server/index.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";

describe("memorabilia/server as a library", () => {
  it("starts a server in-process on a free loopback port, serves the API, and closes", async () => {
    const server = await startServer(defaultConfig({ port: 0, logLevel: "silent", consoleDir: "/nonexistent" }));
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = createClient(StringsService, createGrpcTransport({ baseUrl: server.url }));
      await client.set({ key: "lib:k", value: new TextEncoder().encode("v") });
      expect(new TextDecoder().decode((await client.get({ key: "lib:k" })).value)).toBe("v");
      expect(server.store.execSync(["GET", "lib:k"])).toBe("v");
    } finally {
      await server.close();
    }
  });

  it("defaultConfig is the documented defaults plus overrides", () => {
    const c = defaultConfig({ port: 1234 });
    expect(c.port).toBe(1234);
    expect(c.host).toBe("127.0.0.1");
    expect(c.protectedMode).toBe(true);
  });
});
