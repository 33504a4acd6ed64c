/**
 * The raw gRPC load generator's plumbing (no timing): its hand-made protobuf fields match the
 * real encoder, unary calls and Pipeline sends complete against an in-process server, and a
 * failing call rejects.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MemorabiliaServer, startServer } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { SetRequestSchema } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { bytesField, frame, RawGrpc } from "./raw-grpc.js";
import { rawMemorabiliaTarget } from "./raw-targets.js";

describe("raw gRPC load generator", () => {
  let server: MemorabiliaServer;
  beforeAll(async () => {
    const loaded = loadConfig(["--host=127.0.0.1", "--port=0", "--log-level=silent"], {});
    if (loaded.help) throw new Error("help");
    server = await startServer(loaded.config);
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ["short", "k", new Uint8Array([1])],
    ["a 300-byte value (2-byte length)", "key", new Uint8Array(300).fill(7)],
  ])("bytesField encodes like protobuf-es (%s)", (_name, key, value) => {
    const ours = Buffer.concat([bytesField(1, key), bytesField(2, value)]);
    expect(ours).toEqual(Buffer.from(toBinary(SetRequestSchema, create(SetRequestSchema, { key, value }))));
  });

  it("runs every Memorabilia workload against a server, counting keys per call", async () => {
    const t = rawMemorabiliaTarget(server.url, process.pid, 10);
    try {
      for (const w of t.workloads) {
        const done = await Promise.all([0, 1, 2].map((i) => w.call(i)));
        expect(done, `${w.target} ${w.op}`).toEqual(w.target.includes("x10") ? [10, 10, 10] : [1, 1, 1]);
      }
      // The writes landed: keys 0..29 were set by the x10 workloads.
      expect(server.store.run(["GET", "bench:29"])).toBe("vvvvvvvv");
    } finally {
      await t.close();
    }
  });

  it("rejects a call whose grpc-status is not 0", async () => {
    const c = new RawGrpc(server.url);
    try {
      // An undecodable request: INVALID_ARGUMENT (3).
      await expect(
        c.unary("/memorabilia.v1.StringsService/Get", frame(new Uint8Array([0xff, 0xff, 0xff]))),
      ).rejects.toThrow(/grpc-status 3/);
    } finally {
      c.close();
    }
  });
});
