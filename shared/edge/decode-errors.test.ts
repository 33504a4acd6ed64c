import { describe, expect, it } from "vitest";
import { createEdgeApp } from "./edge-app.js";

// A protobuf body that does not parse: field 1 (LEN) claims 100 bytes, 2 follow.
const MALFORMED = Uint8Array.from([0x0a, 0x64, 0x41, 0x42]);
const URL_SET = "http://edge.test/memorabilia.v1.StringsService/Set";

function grpcWebFrame(message: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

describe("undecodable request bodies are INVALID_ARGUMENT (shared/api/decode-errors.ts)", () => {
  it("Connect unary with a binary body that does not parse", async () => {
    const app = createEdgeApp();
    const res = await app.fetch(
      new Request(URL_SET, { method: "POST", headers: { "content-type": "application/proto" }, body: MALFORMED }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/^parse binary/);
  });

  it("gRPC-Web with a frame that does not parse", async () => {
    const app = createEdgeApp();
    const res = await app.fetch(
      new Request(URL_SET, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: grpcWebFrame(MALFORMED),
      }),
    );
    const text = new TextDecoder().decode(new Uint8Array(await res.arrayBuffer()));
    const status = res.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(text)?.[1];
    expect(status).toBe("3");
  });

  it("leaves other errors alone (WRONGTYPE stays FAILED_PRECONDITION)", async () => {
    const app = createEdgeApp();
    await app.store.exec(["RPUSH", "l", "x"]);
    const res = await app.fetch(
      new Request("http://edge.test/memorabilia.v1.StringsService/Get", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: "l" }),
      }),
    );
    expect(((await res.json()) as { code: string }).code).toBe("failed_precondition");
  });
});
