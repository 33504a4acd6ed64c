/**
 * A seeded corpus of messages of the transaction service's types (every case of the Command and
 * CommandResult oneofs, whole Batch/Pipeline/Exec messages) and of every unary RPC's request and
 * response type (ExecuteResponse's recursive Reply included), for the tests of the
 * reflection-free reader and writer (protobuf-fast-reader.ts, protobuf-fast-writer.ts). Test-only.
 */
import { create, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { MEMORABILIA_SERVICES } from "../../shared/api/register.js";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { AuthService } from "../../shared/gen/memorabilia/v1/auth_service_pb.js";
import { ServerService } from "../../shared/gen/memorabilia/v1/server_service_pb.js";
import {
  BatchRequestSchema,
  BatchResponseSchema,
  CommandResultSchema,
  CommandSchema,
  ExecResponseSchema,
  PipelineRequestSchema,
  PipelineResponseSchema,
} from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";

/** A seeded generator (mulberry32), so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random init values for every kind of field, zero values included (they must stay unwritten). */
export function corpus(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const scalar = (t: ScalarType, longAsString: boolean): unknown => {
    const zero = r() < 0.2;
    switch (t) {
      case ScalarType.STRING:
        return zero ? "" : pick(["a", "key:1", "ünï", "x".repeat(200), "lone \ud800 surrogate, 😀"]);
      case ScalarType.BYTES:
        return zero ? new Uint8Array(0) : Uint8Array.from({ length: 1 + Math.floor(r() * 20) }, () => r() * 256);
      case ScalarType.BOOL:
        return !zero;
      case ScalarType.DOUBLE:
      case ScalarType.FLOAT:
        return zero ? 0 : pick([1.5, -2, Number.POSITIVE_INFINITY, Number.NaN, -0, 1e300]);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64: {
        const v = zero ? 0n : pick([1n, -1n, 9007199254740993n, -(2n ** 63n)]);
        return longAsString ? String(v) : v;
      }
      case ScalarType.UINT64:
      case ScalarType.FIXED64: {
        const v = zero ? 0n : pick([1n, 300n, 2n ** 64n - 1n]);
        return longAsString ? String(v) : v;
      }
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return zero ? 0 : pick([1, 300, 4294967295]);
      default:
        return zero ? 0 : pick([1, -1, 300, -2147483648, 2147483647]);
    }
  };
  const value = (f: DescField, depth: number): unknown => {
    switch (f.fieldKind) {
      case "scalar":
        return scalar(f.scalar, f.longAsString);
      case "enum":
        return pick(f.enum.values).number;
      case "message":
        return message(f.message, depth + 1);
      case "list":
        return Array.from({ length: Math.floor(r() * 4) }, () =>
          f.listKind === "message"
            ? message(f.message, depth + 1)
            : f.listKind === "enum"
              ? pick(f.enum.values).number
              : scalar(f.scalar, f.longAsString),
        );
      case "map": {
        const m: Record<string, unknown> = {};
        for (let i = Math.floor(r() * 3); i > 0; i--) {
          const k = String(scalar(f.mapKey, true));
          m[k] =
            f.mapKind === "message"
              ? message(f.message, depth + 1)
              : f.mapKind === "enum"
                ? pick(f.enum.values).number
                : scalar(f.scalar, false);
        }
        return m;
      }
    }
  };
  const message = (desc: DescMessage, depth: number, forced?: DescField): Record<string, unknown> => {
    const init: Record<string, unknown> = {};
    if (depth > 4) return init;
    for (const o of desc.oneofs) {
      const f = forced?.oneof === o ? forced : r() < 0.9 ? pick(o.fields) : undefined;
      if (f !== undefined) init[o.localName] = { case: f.localName, value: value(f, depth) };
    }
    for (const f of desc.fields) if (f.oneof === undefined && r() < 0.7) init[f.localName] = value(f, depth);
    return init;
  };
  // Every case of both big oneofs, twice, then whole Batch/Pipeline/Exec messages around them.
  const out: [DescMessage, Record<string, unknown>][] = [];
  for (const schema of [CommandResultSchema, CommandSchema]) {
    for (const f of schema.oneofs[0]?.fields ?? []) {
      out.push([schema, message(schema, 0, f)], [schema, message(schema, 0, f)]);
    }
    out.push([schema, {}], [schema, { kind: { case: undefined } }]);
  }
  // The unary lane reads every RPC's request and writes every RPC's response: each input and
  // output type of each service (health included), 10 times.
  for (const service of [...MEMORABILIA_SERVICES, AuthService, ServerService, Health])
    for (const m of service.methods)
      if (m.methodKind === "unary")
        for (let i = 0; i < 10; i++) out.push([m.input, message(m.input, 0)], [m.output, message(m.output, 0)]);
  for (const schema of [
    BatchRequestSchema,
    BatchResponseSchema,
    PipelineRequestSchema,
    PipelineResponseSchema,
    ExecResponseSchema,
  ]) {
    for (let i = 0; i < 40; i++) out.push([schema, message(schema, 0)]);
  }
  return out.map(([schema, init]) => [schema, create(schema, init)] as const);
}
