import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CommandResultSchema, PipelineResponseSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { fastToBinary, fastWriterFallbacks } from "./protobuf-fast-writer.js";
import { corpus } from "./protobuf-test-corpus.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("reflection-free writer", () => {
  const messages = [...corpus(11), ...corpus(12), ...corpus(13)];

  it("writes the bytes toBinary writes, for every case of every message in the corpus", () => {
    expect(messages.length).toBeGreaterThan(700);
    // Against the stock writer (no library prototype is patched anywhere in the server).
    const stock = messages.map(([schema, m]) => hex(toBinary(schema, m)));
    const before = fastWriterFallbacks();
    expect(messages.map(([schema, m]) => hex(fastToBinary(schema, m)))).toEqual(stock);
    // Every one written here, none by toBinary, except the one type with a map field (maps are
    // left to toBinary by design: HealthListResponse, 10 per corpus).
    const maps = messages.filter(([schema]) => schema.fields.some((f) => f.fieldKind === "map")).length;
    expect(maps).toBe(30);
    expect(fastWriterFallbacks() - before).toBe(maps);
  });

  it("writes unknown fields as toBinary does", () => {
    // A CommandResult with fields this schema does not know (5000: varint, 5001: bytes), kept on parse.
    const bytes = Uint8Array.from([0xc0, 0xb8, 0x02, 0x2a, 0xca, 0xb8, 0x02, 0x02, 0x68, 0x69, 0x12, 0x00]);
    const m = fromBinary(CommandResultSchema, bytes);
    expect(m.$unknown?.length).toBe(2);
    const p = create(PipelineResponseSchema, { id: 7n, result: m });
    expect(hex(fastToBinary(PipelineResponseSchema, p))).toBe(hex(toBinary(PipelineResponseSchema, p)));
    expect(hex(fastToBinary(CommandResultSchema, m))).toBe(hex(toBinary(CommandResultSchema, m)));
  });

  it.each([
    ["a uint64 out of range", "error", () => create(PipelineResponseSchema, { id: 2n ** 70n })],
    ["a negative uint64", "error", () => create(PipelineResponseSchema, { id: -1n })],
    [
      "a string where bytes belong",
      "error",
      () => {
        const m = create(PipelineResponseSchema, { result: { kind: { case: "get", value: {} } } });
        (m.result?.kind.value as { value?: unknown }).value = "text";
        return m;
      },
    ],
    [
      "an unknown oneof case",
      "bytes",
      () => {
        const m = create(PipelineResponseSchema, { result: {} });
        (m.result as unknown as { kind: unknown }).kind = { case: "nope", value: 1 };
        return m;
      },
    ],
  ] as const)("answers a bad value as toBinary does (%s: same %s)", (_name, kind, make) => {
    const m = make();
    const outcome = (write: typeof toBinary) => {
      try {
        return hex(write(PipelineResponseSchema, m));
      } catch (e) {
        return e instanceof Error ? `error: ${e.message}` : "not an Error";
      }
    };
    const stock = outcome(toBinary);
    expect(stock.startsWith("error: ")).toBe(kind === "error");
    const before = fastWriterFallbacks();
    expect(outcome(fastToBinary as typeof toBinary)).toBe(stock);
    if (kind === "error") expect(fastWriterFallbacks()).toBe(before + 1);
  });

  it("leaves a message of another type to toBinary (same outcome)", () => {
    const m = create(CommandResultSchema, { kind: { case: "get", value: {} } });
    const outcome = (write: typeof toBinary) => {
      try {
        return hex(write(PipelineResponseSchema, m as never));
      } catch (e) {
        return String(e);
      }
    };
    expect(outcome(fastToBinary as typeof toBinary)).toBe(outcome(toBinary));
  });
});
