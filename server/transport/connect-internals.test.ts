/**
 * The upgrade guard of the transport: the libraries whose internals it relies on are pinned
 * exactly, and each internal behaves as the lanes assume. A failure here means: read
 * server/transport/README.md's upgrade checklist before changing the pin.
 */
import { readFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { GetRequestSchema, StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import {
  CONNECT_VERSION,
  codeToHttpStatus,
  compressionNegotiate,
  createMethodSerializationLookup,
  envelopeCompress,
  envelopeDecompress,
  errorToJsonBytes,
  parseConnectTimeout,
  parseTimeout,
  setTrailerStatus,
  trailerFlag,
  trailerMux,
  trailerSerialize,
  validateUniversalHandlerOptions,
} from "./connect-internals.js";

const root = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  dependencies: Record<string, string>;
};
const installed = (name: string): string =>
  (
    JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;

/** Libraries whose internals the transport relies on, and the versions it was read against. */
const PINNED: Record<string, string> = {
  "@connectrpc/connect": CONNECT_VERSION,
  "@connectrpc/connect-node": CONNECT_VERSION,
  "@connectrpc/connect-fastify": CONNECT_VERSION,
  // protobuf-fast-reader.ts reads BinaryReader's `buf` and mirrors fromBinary's calls.
  "@bufbuild/protobuf": "2.13.0",
  // metrics.ts hands the registry a metric of its own (what the registry reads of a metric).
  "prom-client": "15.1.3",
};

describe("pinned library internals", () => {
  it.each(Object.entries(PINNED))("%s is pinned exactly at %s and installed at that version", (name, version) => {
    expect(root.dependencies[name], `package.json must pin ${name} exactly (see server/transport/README.md)`).toBe(
      version,
    );
    expect(installed(name), `${name} changed: follow server/transport/README.md's upgrade checklist`).toBe(version);
  });

  it("validateUniversalHandlerOptions fills connect's defaults", () => {
    const o = validateUniversalHandlerOptions({ readMaxBytes: 1000, maxTimeoutMs: 5000 });
    expect(o.readMaxBytes).toBe(1000);
    expect(o.maxTimeoutMs).toBe(5000);
    expect(o.writeMaxBytes).toBe(0xffffffff);
    expect(o.compressMinBytes).toBe(1024);
    expect(o.acceptCompression).toEqual([]);
    expect(o.interceptors).toEqual([]);
  });

  it("createMethodSerializationLookup gives binary parse/serialize with readMaxBytes/writeMaxBytes", () => {
    const method = StringsService.method.get;
    const limits = validateUniversalHandlerOptions({ readMaxBytes: 1000 });
    const s = createMethodSerializationLookup(method as never, undefined, undefined, limits);
    const msg = create(GetRequestSchema, { key: "k" });
    const bytes = toBinary(GetRequestSchema, msg);
    expect(s.getI(true).parse(bytes)).toEqual(msg);
    expect(() => s.getI(true).parse(Uint8Array.of(0xff))).toThrow(/parse binary/);
    expect(typeof s.getO(true).serialize).toBe("function");
  });

  it("parseTimeout parses grpc-timeout and caps it", () => {
    expect(parseTimeout("100m", 1000)).toEqual({ timeoutMs: 100 });
    expect(parseTimeout(null, 1000).timeoutMs).toBeUndefined();
    expect(parseTimeout("5S", 1000).error?.message).toMatch(/timeout 5000ms must be <= 1000/);
    expect(parseTimeout("nonsense", 1000).error?.message).toMatch(/invalid grpc timeout value/);
    expect(parseTimeout("5S", 1000).error?.code).toBe(Code.InvalidArgument);
  });

  it("setTrailerStatus writes grpc-status, grpc-message and the error's metadata", () => {
    const h = new Headers();
    setTrailerStatus(h, new ConnectError("no such key", Code.NotFound, { "memorabilia-error-code": "X" }));
    expect(h.get("grpc-status")).toBe(String(Code.NotFound));
    expect(h.get("grpc-message")).toBe("no%20such%20key");
    expect(h.get("memorabilia-error-code")).toBe("X");
  });

  it("compressionNegotiate picks the response encoding from grpc-accept-encoding", () => {
    const n = compressionNegotiate([compressionGzip], null, "gzip", "grpc-accept-encoding");
    expect(n.response?.name).toBe("gzip");
    expect(n.error).toBeUndefined();
    expect(compressionNegotiate([compressionGzip], null, "br", "grpc-accept-encoding").response).toBeNull();
  });

  it("envelopeCompress/envelopeDecompress round-trip, and refuse a compressed flag without an encoding", async () => {
    const data = new Uint8Array(2000).fill(7);
    const c = await envelopeCompress({ flags: 0, data }, compressionGzip, 1024);
    expect(c.flags & 1).toBe(1);
    expect(Uint8Array.from((await envelopeDecompress(c, compressionGzip, 1 << 20)).data)).toEqual(data);
    await expect(envelopeDecompress(c, null, 1 << 20)).rejects.toThrow(/do not know how to decompress/);
  });

  it("protobuf-es's BinaryReader keeps its input in `buf` (the fast reader reads it)", () => {
    const r = new BinaryReader(Uint8Array.of(1, 2, 3));
    expect((r as unknown as { buf: Uint8Array }).buf).toEqual(Uint8Array.of(1, 2, 3));
  });

  it("Connect: codeToHttpStatus, errorToJsonBytes, trailerMux and connect-timeout-ms as the web lane writes them", () => {
    expect(codeToHttpStatus(Code.NotFound)).toBe(404);
    expect(codeToHttpStatus(Code.InvalidArgument)).toBe(400);
    expect(codeToHttpStatus(Code.ResourceExhausted)).toBe(429);
    const json = new TextDecoder().decode(errorToJsonBytes(new ConnectError("no", Code.NotFound), undefined));
    expect(json).toBe('{"code":"not_found","message":"no"}');
    const h = trailerMux(new Headers({ "content-type": "application/proto" }), new Headers({ x: "1" }));
    expect([...h.entries()]).toEqual([
      ["content-type", "application/proto"],
      ["trailer-x", "1"],
    ]);
    expect(parseConnectTimeout("250", 1000)).toEqual({ timeoutMs: 250 });
    expect(parseConnectTimeout("abc", 1000).error?.code).toBe(Code.InvalidArgument);
  });

  it("gRPC-Web: the trailer frame's flag and serialization", () => {
    expect(trailerFlag).toBe(0x80);
    const t = new TextDecoder().decode(trailerSerialize(new Headers({ "grpc-status": "0", "grpc-message": "a%20b" })));
    expect(t).toBe("grpc-message: a%20b\r\ngrpc-status: 0\r\n");
  });
});
