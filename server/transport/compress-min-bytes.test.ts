/**
 * `--compress-min-bytes` (default 64 KiB): a reply smaller than it goes uncompressed even when the
 * client accepts gzip, on the lanes and on connect's own path alike (the same connect option);
 * past it, it is compressed. connect's own default (1 KiB) gzipped nearly every Batch reply, at
 * ~90-160 µs of CPU each (14-16 % of a Batch's server CPU in the etcd profiles).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetRequestSchema, SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { grpcFrame, grpcRequest, h2Request } from "../../test/support/h2-client.js";
import { type MemorabiliaServer, startServer } from "../app.js";
import { loadConfig } from "../config.js";

const S = "/memorabilia.v1.StringsService";
const SMALL = 16 * 1024; // past connect's 1 KiB, under the server's 64 KiB
const LARGE = 96 * 1024;

describe("--compress-min-bytes", () => {
  const servers: MemorabiliaServer[] = [];
  beforeAll(async () => {
    const loaded = loadConfig(["--host=127.0.0.1", "--port=0", "--log-level=silent"], {});
    if (loaded.help) throw new Error("help");
    expect(loaded.config.compressMinBytes).toBe(64 * 1024);
    for (const transport of ["fast", "connect"] as const) {
      const s = await startServer({ ...loaded.config, transport });
      servers.push(s);
      for (const [key, size] of [
        ["cmb:small", SMALL],
        ["cmb:large", LARGE],
      ] as const) {
        const set = toBinary(
          SetRequestSchema,
          create(SetRequestSchema, { key, value: new Uint8Array(size).fill(0x61) }),
        );
        const a = await grpcRequest(s.url, `${S}/Set`, grpcFrame(set));
        expect(a.trailers["grpc-status"]).toBe("0");
      }
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  const get = (key: string) => toBinary(GetRequestSchema, create(GetRequestSchema, { key }));

  it.each([
    ["fast", 0],
    ["connect", 1],
  ] as const)("%s: gRPC replies under it are sent as they are, past it gzipped", async (_, i) => {
    const s = servers[i] as MemorabiliaServer;
    const accept = { "grpc-accept-encoding": "gzip" };
    const small = await grpcRequest(s.url, `${S}/Get`, grpcFrame(get("cmb:small")), accept);
    const large = await grpcRequest(s.url, `${S}/Get`, grpcFrame(get("cmb:large")), accept);
    expect(small.trailers["grpc-status"]).toBe("0");
    expect(large.trailers["grpc-status"]).toBe("0");
    // The envelope's flag byte: 1 = compressed.
    expect(small.body[0]).toBe(0);
    expect(small.body.length).toBeGreaterThan(SMALL);
    expect(large.body[0]).toBe(1);
    expect(large.body.length).toBeLessThan(LARGE / 10);
  });

  it.each([
    ["fast", 0],
    ["connect", 1],
  ] as const)("%s: Connect replies likewise (content-encoding only past it)", async (_, i) => {
    const s = servers[i] as MemorabiliaServer;
    const ask = (key: string) =>
      h2Request(
        s.url,
        {
          ":method": "POST",
          ":path": `${S}/Get`,
          "content-type": "application/proto",
          "accept-encoding": "gzip",
        },
        get(key),
      );
    const small = await ask("cmb:small");
    const large = await ask("cmb:large");
    expect(small.headers[":status"]).toBe(200);
    expect(small.headers["content-encoding"]).toBeUndefined();
    expect(large.headers["content-encoding"]).toBe("gzip");
  });
});
