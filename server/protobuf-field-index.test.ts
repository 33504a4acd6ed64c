import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import { BatchRequestSchema, CommandSchema } from "../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { installProtobufFieldIndex } from "./protobuf-field-index.js";

describe("protobuf field index per descriptor", () => {
  const request = create(BatchRequestSchema, {
    commands: [
      { kind: { case: "get", value: { key: "a" } } },
      { kind: { case: "set", value: { key: "b", value: new Uint8Array([1, 2]) } } },
      { kind: { case: "raw", value: { args: [new TextEncoder().encode("PING")] } } },
    ],
  });
  const bytes = toBinary(BatchRequestSchema, request);

  it("parses exactly as before, and finds every field by number", () => {
    const before = fromBinary(BatchRequestSchema, bytes);
    installProtobufFieldIndex();
    installProtobufFieldIndex(); // idempotent
    const after = fromBinary(BatchRequestSchema, bytes);
    expect(after).toEqual(before);
    expect(toBinary(BatchRequestSchema, after)).toEqual(bytes);
    const r = reflect(CommandSchema);
    for (const f of CommandSchema.fields) expect(r.findNumber(f.number)).toBe(f);
    expect(r.findNumber(9999)).toBeUndefined();
    // The index is the descriptor's, shared by every instance.
    expect(Object.getPrototypeOf(r).findNumber).toBe(Object.getPrototypeOf(reflect(BatchRequestSchema)).findNumber);
  });
});
