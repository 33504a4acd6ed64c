import { create, type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CommandSchema,
  PipelineRequestSchema,
  PipelineResponseSchema,
} from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { fastFromBinary, isPlanned } from "./protobuf-fast-reader.js";
import { corpus } from "./protobuf-test-corpus.js";

/** What a parse gives: the message, or the error's message. */
function outcome(parse: () => unknown): unknown {
  try {
    return { message: parse() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

describe("reflection-free reader", () => {
  const messages = [...corpus(21), ...corpus(22), ...corpus(23)];

  it("reads every message of the corpus as fromBinary does", () => {
    expect(messages.length).toBeGreaterThan(700);
    for (const [schema, m] of messages) {
      const bytes = toBinary(schema, m);
      const fast = fastFromBinary(schema, bytes);
      // Same values, same prototypes (toStrictEqual), and the same bytes again.
      expect(fast).toStrictEqual(fromBinary(schema, bytes));
      expect(toBinary(schema, fast as never)).toEqual(bytes);
    }
  });

  it("gives fromBinary's result or error for every truncation and many corruptions of Pipeline requests", () => {
    const seeds = messages.filter(([schema]) => schema === PipelineRequestSchema).slice(0, 40);
    let checked = 0;
    let errors = 0;
    let x = 12345;
    const rand = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    for (const [schema, m] of seeds) {
      const bytes = toBinary(schema, m);
      const variants: Uint8Array[] = [];
      for (let n = 0; n < bytes.length; n++) variants.push(bytes.subarray(0, n));
      for (let k = 0; k < 30; k++) {
        const b = Uint8Array.from(bytes);
        if (b.length > 0) b[rand() % b.length] = rand() & 0xff;
        variants.push(b);
      }
      for (const v of variants) {
        const a = outcome(() => fastFromBinary(schema, v));
        expect(a).toStrictEqual(outcome(() => fromBinary(schema, v)));
        if ((a as { error?: string }).error !== undefined) errors++;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(100);
  });

  it.each([
    ["unknown fields (kept)", Uint8Array.from([0xc0, 0xb8, 0x02, 0x2a, 0x08, 0x05])],
    ["a field repeated (last wins)", Uint8Array.from([0x08, 0x01, 0x08, 0x02])],
    ["a message field twice (merged)", Uint8Array.from([0x12, 0x02, 0x52, 0x00, 0x12, 0x04, 0x52, 0x02, 0x0a, 0x00])],
  ])("%s", (_name, bytes) => {
    expect(outcome(() => fastFromBinary(PipelineRequestSchema, bytes))).toStrictEqual(
      outcome(() => fromBinary(PipelineRequestSchema, bytes)),
    );
  });

  it("makes the zero message of every type reachable from Pipeline requests and replies as create() does", () => {
    const seen = new Set<DescMessage>();
    const visit = (d: DescMessage): void => {
      if (seen.has(d)) return;
      seen.add(d);
      for (const f of d.fields) if (f.message !== undefined) visit(f.message);
    };
    visit(PipelineRequestSchema);
    visit(PipelineResponseSchema);
    expect(seen.size).toBeGreaterThan(100);
    for (const d of seen) {
      const empty = new Uint8Array(0);
      expect(fastFromBinary(d, empty)).toStrictEqual(fromBinary(d, empty));
      expect(fastFromBinary(d, empty)).toStrictEqual(create(d));
    }
  });

  it("plans the Pipeline request types (the fast path is taken)", () => {
    expect(isPlanned(PipelineRequestSchema)).toBe(true);
    expect(isPlanned(CommandSchema)).toBe(true);
  });

  it("reads a Command whose case changes mid-message as fromBinary does", () => {
    const a = toBinary(CommandSchema, create(CommandSchema, { kind: { case: "get", value: { key: "a" } } }));
    const b = toBinary(CommandSchema, create(CommandSchema, { kind: { case: "del", value: { keys: ["b"] } } }));
    const bytes = new Uint8Array([...a, ...b, ...a]);
    expect(fastFromBinary(CommandSchema, bytes)).toStrictEqual(fromBinary(CommandSchema, bytes));
  });
});
