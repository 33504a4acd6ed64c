/**
 * JSON bombs (issue 12, item 3): a Connect JSON request of 8 M nested arrays under an unknown
 * field (16 KB gzipped) cost ~5.8 s of CPU with the event loop blocked; 5.6 M empty arrays side by
 * side, ~4.8 s. Sent by an authenticated client (without a token the request gate refuses them
 * before the body is read), each must be refused with INVALID_ARGUMENT while a second client's
 * Health.Check keeps answering within 2 s.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerProcess } from "../support/server-process.js";
import { startBundledServer, startHealthProbe } from "./hostile-support.js";

const TOKEN = "json-bomb-admin-secret-012345";
const EXECUTE = "/memorabilia.v1.CommandService/Execute";
const WATCH = "/memorabilia.v1.WatchService/Watch";
const SIXTEEN_MIB = 16 << 20;

/** 8 M nested arrays under an unknown field. */
function nested(): Buffer {
  const depth = (SIXTEEN_MIB - 64) >> 1;
  return Buffer.from(`{"unknownField":${"[".repeat(depth)}${"]".repeat(depth)},"args":["UElORw=="]}`, "latin1");
}

/** 5.6 M empty arrays side by side, under an unknown field. */
function flat(): Buffer {
  const n = Math.floor((SIXTEEN_MIB - 64) / 3);
  return Buffer.from(`{"unknownField":[${"[],".repeat(n - 1)}[]],"args":["UElORw=="]}`, "latin1");
}

/** A Connect/gRPC-Web envelope around `data` (flags 1: compressed). */
function envelope(data: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

describe("JSON bombs", () => {
  let server: ServerProcess;
  const bombs = { nested: gzipSync(nested()), flat: gzipSync(flat()) };
  beforeAll(async () => {
    server = await startBundledServer([], { MEMORABILIA_TOKEN: `admin:admin:${TOKEN}` });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(["nested", "flat"] as const)(
    "%s: Connect unary JSON, gzipped → INVALID_ARGUMENT, health answers",
    async (kind) => {
      const bomb = bombs[kind];
      expect(bomb.length).toBeLessThan(64 * 1024);
      const probe = startHealthProbe(server.url, 100, 2000);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}${EXECUTE}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${TOKEN}`,
            "content-type": "application/json",
            "content-encoding": "gzip",
          },
          body: new Uint8Array(bomb),
        });
        const body = (await res.json()) as { code: string; message: string };
        expect(body.code).toBe("invalid_argument");
        expect(body.message).toMatch(/JSON (nested deeper than 64 levels|with more than 100000 arrays and objects)/);
      }
      const report = await probe.stop();
      expect(report.failures).toEqual([]);
      console.info(`${kind} JSON bomb ×5: worst Health.Check ${report.worstMs} ms`);
    },
  );

  it("a Connect stream of JSON (Watch) and gRPC-Web JSON are checked too", async () => {
    const stream = await fetch(`${server.url}${WATCH}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/connect+json",
        "connect-content-encoding": "gzip",
      },
      body: new Uint8Array(envelope(bombs.nested, 1)),
    });
    expect(await stream.text()).toMatch(/"code":"invalid_argument".*JSON nested deeper/);
    const web = await fetch(`${server.url}${EXECUTE}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/grpc-web+json",
        "grpc-encoding": "gzip",
      },
      body: new Uint8Array(envelope(bombs.flat, 1)),
    });
    const text = await web.text();
    const status = web.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(text)?.[1];
    expect(status).toBe("3");
  });

  it("ordinary JSON still works", async () => {
    const res = await fetch(`${server.url}${EXECUTE}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ args: ["UElORw=="] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ reply: { status: "PONG" } });
  });
});
