/**
 * BitmapsService: the bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
 * BITFIELD_RO) over the store, one command per RPC.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import {
  BitFieldOverflow,
  type BitFieldRef,
  type BitFieldWrite,
  BitmapsService,
  BitOperation,
  BitUnit,
} from "../gen/memorabilia/v1/bitmaps_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { int, invalidArgument, key, keys, required, token } from "./args.js";
import { invoke } from "./invoke.js";
import { arrayOf, boolOf, int64Of } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

const UNITS: Partial<Record<BitUnit, Bytes>> = { [BitUnit.BYTE]: "BYTE", [BitUnit.BIT]: "BIT" };

const OPERATIONS: Partial<Record<BitOperation, Bytes>> = {
  [BitOperation.AND]: "AND",
  [BitOperation.OR]: "OR",
  [BitOperation.XOR]: "XOR",
  [BitOperation.NOT]: "NOT",
};

const OVERFLOWS: Partial<Record<BitFieldOverflow, Bytes>> = {
  [BitFieldOverflow.UNSPECIFIED]: "WRAP",
  [BitFieldOverflow.WRAP]: "WRAP",
  [BitFieldOverflow.SAT]: "SAT",
  [BitFieldOverflow.FAIL]: "FAIL",
};

/** A unit token, or nothing for the default. */
function unitArgs(unit: BitUnit, field: string): Bytes[] {
  return unit === BitUnit.UNSPECIFIED ? [] : [token(unit, UNITS, field)];
}

/** `encoding offset` of a field: `i8`/`u8`, and `#N` when the offset counts fields. */
export function fieldArgs(ref: BitFieldRef): Bytes[] {
  return [`${ref.signed ? "i" : "u"}${ref.bits}`, `${ref.offsetInFields ? "#" : ""}${ref.offset}`];
}

/**
 * BITFIELD's subcommands. Each write carries its own overflow mode, so an OVERFLOW token is sent
 * whenever a write's mode differs from the one in force (Redis's starts as WRAP and persists).
 */
export function bitFieldArgs(operations: readonly { operation: { case?: string; value?: unknown } }[]): Bytes[] {
  const out: Bytes[] = [];
  let mode: Bytes = "WRAP";
  operations.forEach((o, i) => {
    const op = o.operation;
    if (op.case === "get") {
      out.push("GET", ...fieldArgs(op.value as BitFieldRef));
      return;
    }
    if (op.case !== "set" && op.case !== "incrBy") throw invalidArgument(`operations[${i}]: operation is required`);
    const w = op.value as BitFieldWrite;
    const want = token(w.overflow, OVERFLOWS, `operations[${i}].overflow`);
    if (want !== mode) {
      out.push("OVERFLOW", want);
      mode = want;
    }
    const field = required(w.field, `operations[${i}].field`);
    out.push(op.case === "set" ? "SET" : "INCRBY", ...fieldArgs(field), int(w.value));
  });
  return out;
}

/** Creates the BitmapsService implementation over `store`. */
export function createBitmapsService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof BitmapsService> {
  return guarded(
    BitmapsService,
    {
      async setBit(req, ctx) {
        const reply = await invoke(store, ["SETBIT", key(req.key), int(req.offset), req.value ? "1" : "0"], ctx);
        return { previous: boolOf(reply) };
      },
      async getBit(req, ctx) {
        return { value: boolOf(await invoke(store, ["GETBIT", key(req.key), int(req.offset)], ctx)) };
      },
      async bitCount(req, ctx) {
        const argv: Bytes[] = ["BITCOUNT", key(req.key)];
        const r = req.range;
        if (r !== undefined) argv.push(int(r.start), int(r.end), ...unitArgs(r.unit, "range.unit"));
        return { count: int64Of(await invoke(store, argv, ctx)) };
      },
      async bitPos(req, ctx) {
        const argv: Bytes[] = ["BITPOS", key(req.key), req.bit ? "1" : "0"];
        if (req.end !== undefined && req.start === undefined) throw invalidArgument("end needs start");
        if (req.unit !== BitUnit.UNSPECIFIED && req.end === undefined) throw invalidArgument("unit needs end");
        if (req.start !== undefined) argv.push(int(req.start));
        if (req.end !== undefined) argv.push(int(req.end), ...unitArgs(req.unit, "unit"));
        return { position: int64Of(await invoke(store, argv, ctx)) };
      },
      async bitOp(req, ctx) {
        const op = token(req.operation, OPERATIONS, "operation");
        const argv = ["BITOP", op, key(req.destination), ...keys(req.keys)];
        return { length: int64Of(await invoke(store, argv, ctx)) };
      },
      async bitField(req, ctx) {
        const reply = await invoke(store, ["BITFIELD", key(req.key), ...bitFieldArgs(req.operations)], ctx);
        return { results: arrayOf(reply).map((r: Reply) => ({ value: r === null ? undefined : int64Of(r) })) };
      },
      async bitFieldRo(req, ctx) {
        const argv: Bytes[] = ["BITFIELD_RO", key(req.key), ...req.fields.flatMap((f) => ["GET", ...fieldArgs(f)])];
        return { values: arrayOf(await invoke(store, argv, ctx)).map(int64Of) };
      },
    },
    options,
  );
}
