/**
 * A reflection-free binary writer for the messages the stream lane sends (PipelineResponse and
 * the CommandResult inside), byte-identical to protobuf-es's `toBinary`.
 *
 * `toBinary` wraps every message (and every nested one) in a `ReflectMessage`, then asks `isSet`
 * and `get` of each field through it: for a Pipeline reply that is three reflect objects, field
 * lists and per-field switches, ~1–1.5 µs of the ~7 µs a command costs. Here the plan of each
 * message type is made once (its fields in number order, with their wire type and writer; for a
 * message with one large oneof, one list per selected case as protobuf-set-fields.ts does), and a
 * message is written straight from its properties with protobuf-es's own `BinaryWriter`, the same
 * calls in the same order as `toBinary` makes: the same bytes.
 *
 * What it does not handle is left to `toBinary` itself (same bytes by definition): messages with
 * map fields, group (delimited) encoding, required fields, google.protobuf well-known types
 * (wrappers are unboxed, Struct is a JSON object in the message), and any message whose write
 * throws (the stock writer then throws its own error).
 */
import { type DescField, type DescMessage, type DescOneof, ScalarType, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** `FeatureSet.FieldPresence`: IMPLICIT (proto3 scalars), LEGACY_REQUIRED (proto2 required). */
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

type Msg = Record<string, unknown>;
type WriteValue = (w: BinaryWriter, value: unknown) => void;

/** One field of a plan: whether it is set on a message, and how to write it. */
interface FieldStep {
  readonly field: DescField;
  readonly isSet: (m: Msg) => boolean;
  readonly write: (w: BinaryWriter, m: Msg) => void;
}

/** A message type's plan, or null when `toBinary` writes it. */
interface Plan {
  readonly desc: DescMessage;
  /** The fields in number order (all of them). */
  readonly steps: readonly FieldStep[];
  /** For a message with one large oneof: per selected case, the steps without the other members. */
  readonly oneof: DescOneof | undefined;
  readonly byCase: Map<string | undefined, readonly FieldStep[]> | undefined;
}

const plans = new WeakMap<DescMessage, Plan | null>();
/** Oneofs at least this large get per-case step lists. */
const MIN_ONEOF_FIELDS = 8;

function scalarWireType(t: ScalarType): WireType {
  switch (t) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** The BinaryWriter method `toBinary` calls for a scalar type. */
function scalarWriter(t: ScalarType): WriteValue {
  switch (t) {
    case ScalarType.STRING:
      return (w, v) => w.string(v as string);
    case ScalarType.BOOL:
      return (w, v) => w.bool(v as boolean);
    case ScalarType.DOUBLE:
      return (w, v) => w.double(v as number);
    case ScalarType.FLOAT:
      return (w, v) => w.float(v as number);
    case ScalarType.INT32:
      return (w, v) => w.int32(v as number);
    case ScalarType.INT64:
      return (w, v) => w.int64(v as bigint);
    case ScalarType.UINT64:
      return (w, v) => w.uint64(v as bigint);
    case ScalarType.FIXED64:
      return (w, v) => w.fixed64(v as bigint);
    case ScalarType.BYTES:
      return (w, v) => w.bytes(v as Uint8Array);
    case ScalarType.FIXED32:
      return (w, v) => w.fixed32(v as number);
    case ScalarType.SFIXED32:
      return (w, v) => w.sfixed32(v as number);
    case ScalarType.SFIXED64:
      return (w, v) => w.sfixed64(v as bigint);
    case ScalarType.SINT64:
      return (w, v) => w.sint64(v as bigint);
    case ScalarType.UINT32:
      return (w, v) => w.uint32(v as number);
    case ScalarType.SINT32:
      return (w, v) => w.sint32(v as number);
  }
}

/** protobuf-es's `isScalarZeroValue`. */
function isZero(t: ScalarType, v: unknown): boolean {
  switch (t) {
    case ScalarType.BOOL:
      return v === false;
    case ScalarType.STRING:
      return v === "";
    case ScalarType.BYTES:
      return v instanceof Uint8Array && !v.byteLength;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return Object.is(v, 0);
    default:
      // biome-ignore lint/suspicious/noDoubleEquals: as protobuf-es: 0n, 0 and "0" are all zero
      return v == 0;
  }
}

const own = Object.prototype.hasOwnProperty;

/** protobuf-es's `unsafeIsSet` for one field. */
function isSetOf(f: DescField): ((m: Msg) => boolean) | null {
  const name = f.localName;
  if (f.oneof !== undefined) {
    const group = f.oneof.localName;
    return (m) => (m[group] as { case?: string }).case === name;
  }
  if (f.presence !== IMPLICIT) return (m) => m[name] !== undefined && own.call(m, name);
  switch (f.fieldKind) {
    case "list":
      return (m) => (m[name] as unknown[]).length > 0;
    case "scalar": {
      const t = f.scalar;
      return (m) => !isZero(t, m[name]);
    }
    case "enum": {
      const zero = f.enum.values[0]?.number;
      return (m) => m[name] !== zero;
    }
    default:
      return null;
  }
}

/** The field's value as `unsafeGet` reads it. */
function getterOf(f: DescField): (m: Msg) => unknown {
  const name = f.localName;
  if (f.oneof !== undefined) {
    const group = f.oneof.localName;
    return (m) => (m[group] as { value?: unknown }).value;
  }
  return (m) => m[name];
}

/** Writes a nested message: the plan's fields between fork/join, or the stock bytes. */
function writeMessage(w: BinaryWriter, desc: DescMessage, value: Msg): void {
  const plan = planOf(desc);
  if (plan === null) w.bytes(toBinary(desc, value as never));
  else {
    w.fork();
    writeFields(w, plan, value);
    w.join();
  }
}

function stepOf(f: DescField): FieldStep | null {
  if (f.presence === LEGACY_REQUIRED) return null;
  const isSet = isSetOf(f);
  if (isSet === null) return null;
  const get = getterOf(f);
  const no = f.number;
  switch (f.fieldKind) {
    case "scalar": {
      const wt = scalarWireType(f.scalar);
      const put = scalarWriter(f.scalar);
      return { field: f, isSet, write: (w, m) => put(w.tag(no, wt), get(m)) };
    }
    case "enum":
      return { field: f, isSet, write: (w, m) => w.tag(no, WireType.Varint).int32(get(m) as number) };
    case "message": {
      if (f.delimitedEncoding || f.message.typeName.startsWith("google.protobuf.")) return null;
      const desc = f.message;
      return {
        field: f,
        isSet,
        write: (w, m) => writeMessage(w.tag(no, WireType.LengthDelimited), desc, get(m) as Msg),
      };
    }
    case "list": {
      if (f.listKind === "message") {
        if (f.delimitedEncoding || f.message.typeName.startsWith("google.protobuf.")) return null;
        const desc = f.message;
        return {
          field: f,
          isSet,
          write: (w, m) => {
            for (const item of get(m) as Msg[]) writeMessage(w.tag(no, WireType.LengthDelimited), desc, item);
          },
        };
      }
      const t = f.listKind === "enum" ? ScalarType.INT32 : f.scalar;
      const put = scalarWriter(t);
      if (f.packed)
        return {
          field: f,
          isSet,
          write: (w, m) => {
            w.tag(no, WireType.LengthDelimited).fork();
            for (const item of get(m) as unknown[]) put(w, item);
            w.join();
          },
        };
      const wt = scalarWireType(t);
      return {
        field: f,
        isSet,
        write: (w, m) => {
          for (const item of get(m) as unknown[]) put(w.tag(no, wt), item);
        },
      };
    }
    default:
      return null;
  }
}

function planOf(desc: DescMessage): Plan | null {
  // Nested message types are planned when first written, so recursive types need nothing special.
  let plan = plans.get(desc);
  if (plan === undefined) {
    plan = buildPlan(desc);
    plans.set(desc, plan);
  }
  return plan;
}

function buildPlan(desc: DescMessage): Plan | null {
  if (desc.typeName.startsWith("google.protobuf.")) return null;
  const steps: FieldStep[] = [];
  for (const f of desc.fields.concat().sort((a, b) => a.number - b.number)) {
    const step = stepOf(f);
    if (step === null) return null;
    steps.push(step);
  }
  const oneof = desc.oneofs.length === 1 ? desc.oneofs[0] : undefined;
  if (oneof === undefined || oneof.fields.length < MIN_ONEOF_FIELDS)
    return { desc, steps, oneof: undefined, byCase: undefined };
  const keep = (selected: string | undefined) =>
    steps.filter((s) => s.field.oneof !== oneof || s.field.localName === selected);
  const byCase = new Map<string | undefined, readonly FieldStep[]>([[undefined, keep(undefined)]]);
  for (const f of oneof.fields) byCase.set(f.localName, keep(f.localName));
  return { desc, steps, oneof, byCase };
}

function writeFields(w: BinaryWriter, plan: Plan, m: Msg): void {
  let steps = plan.steps;
  if (plan.byCase !== undefined) {
    const c = (m[(plan.oneof as DescOneof).localName] as { case?: string } | undefined)?.case;
    steps = plan.byCase.get(c) ?? steps;
  }
  for (const s of steps) if (s.isSet(m)) s.write(w, m);
  const unknown = m.$unknown as { no: number; wireType: WireType; data: Uint8Array }[] | undefined;
  if (unknown !== undefined) for (const u of unknown) w.tag(u.no, u.wireType).raw(u.data);
}

/**
 * `toBinary(desc, message)`: the same bytes, without reflection for the types it plans (see the
 * module comment). Anything unusual, including a value the stock writer would refuse, goes to
 * `toBinary` itself.
 */
export function fastToBinary(desc: DescMessage, message: object): Uint8Array {
  const plan = planOf(desc);
  if (plan === null || (message as { $typeName?: string }).$typeName !== desc.typeName)
    return toBinary(desc, message as never);
  try {
    const w = new BinaryWriter();
    writeFields(w, plan, message as Msg);
    return w.finish();
  } catch {
    return toBinary(desc, message as never);
  }
}
