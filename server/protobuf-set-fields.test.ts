import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import { CommandResultSchema, PipelineResponseSchema } from "../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { installProtobufSetFields } from "./protobuf-set-fields.js";
import { corpus } from "./protobuf-test-corpus.js";

describe("protobuf set-fields writer", () => {
  const messages = [...corpus(1), ...corpus(2), ...corpus(3)];
  const encodeAll = () =>
    messages.map(([schema, m]) => ({
      bin: toBinary(schema, m),
      json: toJsonString(schema, m),
      jsonImplicit: toJsonString(schema, m, { alwaysEmitImplicit: true }),
    }));

  it("writes byte-identical binary and identical JSON to the stock writer", () => {
    expect(messages.length).toBeGreaterThan(700);
    const before = encodeAll();
    installProtobufSetFields();
    installProtobufSetFields(); // idempotent
    const after = encodeAll();
    expect(after).toEqual(before);
    // And the bytes mean the message: they parse back to it.
    messages.forEach(([schema, m], i) => {
      expect(toBinary(schema, fromBinary(schema, (after[i] as { bin: Uint8Array }).bin))).toEqual(
        (before[i] as { bin: Uint8Array }).bin,
      );
      expect(m.$typeName).toBe(schema.typeName);
    });
  });

  it.each([
    ["get", 1],
    ["error", 1],
    [undefined, 0],
  ] as const)("walks only the selected case of CommandResult (%s)", (kase, count) => {
    installProtobufSetFields();
    const m =
      kase === undefined
        ? create(CommandResultSchema)
        : create(CommandResultSchema, { kind: { case: kase, value: {} } } as never);
    const fields = reflect(CommandResultSchema, m).sortedFields;
    expect(fields.length).toBe(count + CommandResultSchema.fields.filter((f) => f.oneof === undefined).length);
    if (kase !== undefined) expect(fields.some((f) => f.localName === kase)).toBe(true);
    // Small messages keep the stock list.
    const p = reflect(PipelineResponseSchema, create(PipelineResponseSchema));
    expect(p.sortedFields.map((f) => f.number)).toEqual(PipelineResponseSchema.fields.map((f) => f.number).sort());
  });

  it("leaves a malformed oneof case to the stock writer's error", () => {
    installProtobufSetFields();
    const m = create(CommandResultSchema);
    (m as unknown as { kind: unknown }).kind = { case: "nope", value: 1 };
    expect(reflect(CommandResultSchema, m).sortedFields.length).toBe(CommandResultSchema.fields.length);
  });
});
