/**
 * A reflection-free binary writer for the messages the stream lane sends (PipelineResponse and
 * the CommandResult inside), byte-identical to protobuf-es's `toBinary`.
 *
 * `toBinary` wraps every message (and every nested one) in a `ReflectMessage`, asks `isSet` and
 * `get` of each field through it, and writes through a `BinaryWriter` that copies each nested
 * message once per level (fork/join): for a Pipeline reply ~1–1.5 µs of the ~7 µs a command
 * cost. Here the plan of each message type is made once (its fields in number order with their
 * wire type; for a message with one large oneof, one list per selected case, as
 * protobuf-set-fields.ts does), and a message is written in two passes over its properties: the
 * sizes (nested lengths and UTF-8 strings kept for the second pass), then the bytes, into one
 * buffer of the exact size. Each value is encoded as `BinaryWriter` encodes it (varints, zigzag,
 * little-endian fixed and floating point, 10-byte negative int32).
 *
 * Values `BinaryWriter` would convert or refuse (a number given as a string, a 64-bit value that
 * is not a bigint, an int32 out of range, a float past float32...) make the whole message go to
 * `toBinary` itself, which then writes or throws as it always does; so do messages with map
 * fields, group encoding, required fields, and google.protobuf types (wrappers are unboxed,
 * Struct is a JSON object in the message).
 */
import { type DescField, type DescMessage, type DescOneof, ScalarType, toBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";

/** `FeatureSet.FieldPresence`: IMPLICIT (proto3 scalars), LEGACY_REQUIRED (proto2 required). */
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

type Msg = Record<string, unknown>;

/** Thrown to leave a message to `toBinary`. */
const BAIL = new Error("not on the fast path");

/** The output of the writing pass. */
interface Out {
  buf: Uint8Array;
  view: DataView | undefined;
  pos: number;
}

/**
 * How one scalar type is sized and written. `size` checks the value as `BinaryWriter` asserts it
 * (throwing BAIL where it would convert or throw), so `write` only writes.
 */
interface ScalarCodec {
  readonly wireType: WireType;
  size(v: unknown): number;
  write(o: Out, v: unknown): void;
}

// Side tables of the sizing pass, read back in the same order by the writing pass (one message
// is written at a time: nothing here is re-entered).
// Counters instead of truncating the arrays: setting an array's length costs more than a message.
const nestedSizes: number[] = [];
let nestedCount = 0;
let nestedRead = 0;
const strings: (Uint8Array | undefined)[] = [];
let stringsCount = 0;
let stringsRead = 0;
const utf8 = new TextEncoder();

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const FLOAT32_MAX = 3.4028234663852886e38;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function varint32Size(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v > 0x7f) {
    n++;
    v >>>= 7;
  }
  return n;
}

function writeVarint32(o: Out, v: number): void {
  const b = o.buf;
  let p = o.pos;
  if (v >= 0) {
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
  } else {
    for (let i = 0; i < 9; i++) {
      b[p++] = (v & 127) | 128;
      v >>= 7;
    }
    b[p++] = 1;
  }
  o.pos = p;
}

/** A 64-bit value split into unsigned 32-bit halves (through a DataView: no bigint arithmetic). */
const split = new DataView(new ArrayBuffer(8));
let lo = 0;
let hi = 0;
function halves(u: bigint): void {
  split.setBigUint64(0, u, true);
  lo = split.getUint32(0, true);
  hi = split.getUint32(4, true);
}

function varint64Size(u: bigint): number {
  halves(u);
  if (hi === 0) return varint32Size(lo);
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

/** protobuf-es's varint64write, into the buffer. */
function writeVarint64(o: Out, u: bigint): void {
  const b = o.buf;
  let p = o.pos;
  halves(u);
  for (let i = 0; i < 28; i = i + 7) {
    const shift = lo >>> i;
    const hasNext = !(shift >>> 7 === 0 && hi === 0);
    b[p++] = (hasNext ? shift | 0x80 : shift) & 0xff;
    if (!hasNext) {
      o.pos = p;
      return;
    }
  }
  const splitBits = ((lo >>> 28) & 0x0f) | ((hi & 0x07) << 4);
  const hasMoreBits = !(hi >> 3 === 0);
  b[p++] = (hasMoreBits ? splitBits | 0x80 : splitBits) & 0xff;
  if (hasMoreBits) {
    let done = false;
    for (let i = 3; i < 31; i = i + 7) {
      const shift = hi >>> i;
      const hasNext = !(shift >>> 7 === 0);
      b[p++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) {
        done = true;
        break;
      }
    }
    if (!done) b[p++] = (hi >>> 31) & 0x01;
  }
  o.pos = p;
}

function int32(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v > INT32_MAX || v < INT32_MIN) throw BAIL;
  return v;
}
function uint32(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v > UINT32_MAX || v < 0) throw BAIL;
  return v;
}
/** An int64 as its unsigned 64-bit pattern (setBigUint64 wraps negative values modulo 2^64). */
function int64(v: unknown): bigint {
  if (typeof v !== "bigint" || v > INT64_MAX || v < INT64_MIN) throw BAIL;
  return v;
}
function uint64(v: unknown): bigint {
  if (typeof v !== "bigint" || v > UINT64_MAX || v < 0n) throw BAIL;
  return v;
}
const zigzag32 = (v: number) => ((v << 1) ^ (v >> 31)) >>> 0;
const zigzag64 = (v: bigint) => BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));

function fixed(o: Out, size: 4 | 8, put: (view: DataView, at: number) => void): void {
  o.view ??= new DataView(o.buf.buffer, o.buf.byteOffset, o.buf.byteLength);
  put(o.view, o.pos);
  o.pos += size;
}

const codecs: Record<ScalarType, ScalarCodec> = {
  [ScalarType.STRING]: {
    wireType: WireType.LengthDelimited,
    size(v) {
      if (typeof v !== "string") throw BAIL;
      const bytes = utf8.encode(v);
      strings[stringsCount++] = bytes;
      return varint32Size(bytes.byteLength) + bytes.byteLength;
    },
    write(o) {
      const bytes = strings[stringsRead++] as Uint8Array;
      writeVarint32(o, bytes.byteLength);
      o.buf.set(bytes, o.pos);
      o.pos += bytes.byteLength;
    },
  },
  [ScalarType.BYTES]: {
    wireType: WireType.LengthDelimited,
    size(v) {
      if (!(v instanceof Uint8Array)) throw BAIL;
      return varint32Size(v.byteLength) + v.byteLength;
    },
    write(o, v) {
      const bytes = v as Uint8Array;
      writeVarint32(o, bytes.byteLength);
      o.buf.set(bytes, o.pos);
      o.pos += bytes.byteLength;
    },
  },
  [ScalarType.BOOL]: {
    wireType: WireType.Varint,
    size: () => 1,
    write(o, v) {
      o.buf[o.pos++] = v ? 1 : 0;
    },
  },
  [ScalarType.DOUBLE]: {
    wireType: WireType.Bit64,
    size(v) {
      if (typeof v !== "number") throw BAIL;
      return 8;
    },
    write: (o, v) => fixed(o, 8, (d, at) => d.setFloat64(at, v as number, true)),
  },
  [ScalarType.FLOAT]: {
    wireType: WireType.Bit32,
    size(v) {
      if (typeof v !== "number" || (Number.isFinite(v) && (v > FLOAT32_MAX || v < -FLOAT32_MAX))) throw BAIL;
      return 4;
    },
    write: (o, v) => fixed(o, 4, (d, at) => d.setFloat32(at, v as number, true)),
  },
  [ScalarType.INT32]: {
    wireType: WireType.Varint,
    size: (v) => varint32Size(int32(v)),
    write: (o, v) => writeVarint32(o, v as number),
  },
  [ScalarType.UINT32]: {
    wireType: WireType.Varint,
    size: (v) => varint32Size(uint32(v)),
    write: (o, v) => writeVarint32(o, v as number),
  },
  [ScalarType.SINT32]: {
    wireType: WireType.Varint,
    size: (v) => varint32Size(zigzag32(int32(v))),
    write: (o, v) => writeVarint32(o, zigzag32(v as number)),
  },
  [ScalarType.FIXED32]: {
    wireType: WireType.Bit32,
    size(v) {
      uint32(v);
      return 4;
    },
    write: (o, v) => fixed(o, 4, (d, at) => d.setUint32(at, v as number, true)),
  },
  [ScalarType.SFIXED32]: {
    wireType: WireType.Bit32,
    size(v) {
      int32(v);
      return 4;
    },
    write: (o, v) => fixed(o, 4, (d, at) => d.setInt32(at, v as number, true)),
  },
  [ScalarType.INT64]: {
    wireType: WireType.Varint,
    size: (v) => varint64Size(int64(v)),
    write: (o, v) => writeVarint64(o, v as bigint),
  },
  [ScalarType.UINT64]: {
    wireType: WireType.Varint,
    size: (v) => varint64Size(uint64(v)),
    write: (o, v) => writeVarint64(o, v as bigint),
  },
  [ScalarType.SINT64]: {
    wireType: WireType.Varint,
    size(v) {
      int64(v);
      return varint64Size(zigzag64(v as bigint));
    },
    write: (o, v) => writeVarint64(o, zigzag64(v as bigint)),
  },
  [ScalarType.FIXED64]: {
    wireType: WireType.Bit64,
    size(v) {
      uint64(v);
      return 8;
    },
    write: (o, v) => fixed(o, 8, (d, at) => d.setBigUint64(at, v as bigint, true)),
  },
  [ScalarType.SFIXED64]: {
    wireType: WireType.Bit64,
    size(v) {
      int64(v);
      return 8;
    },
    write: (o, v) => fixed(o, 8, (d, at) => d.setBigInt64(at, v as bigint, true)),
  },
};

/** One field of a plan: whether it is set on a message, its size and how to write it (tag included). */
interface FieldStep {
  readonly field: DescField;
  readonly isSet: (m: Msg) => boolean;
  readonly size: (m: Msg) => number;
  readonly write: (o: Out, m: Msg) => void;
}

/** A message type's plan (null: `toBinary` writes it). */
interface Plan {
  readonly steps: readonly FieldStep[];
  /** For a message with one large oneof: per selected case, the steps without the other members. */
  readonly oneof: DescOneof | undefined;
  readonly byCase: Map<string | undefined, readonly FieldStep[]> | undefined;
}

const plans = new WeakMap<DescMessage, Plan | null>();
/** Oneofs at least this large get per-case step lists. */
const MIN_ONEOF_FIELDS = 8;

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

/** The size of a tag (field number and wire type) as a varint. */
const tagSize = (no: number, wt: WireType) => varint32Size(((no << 3) | wt) >>> 0);

/** A nested message's body size (kept for the writing pass). */
function sizeNested(desc: DescMessage, value: unknown): number {
  if (typeof value !== "object" || value === null) throw BAIL;
  const at = nestedCount++;
  nestedSizes[at] = 0;
  const n = sizeFields(planOf(desc), value as Msg);
  nestedSizes[at] = n;
  return varint32Size(n) + n;
}

function writeNested(o: Out, desc: DescMessage, value: Msg): void {
  writeVarint32(o, nestedSizes[nestedRead++] as number);
  writeFields(o, planOf(desc), value);
}

function stepOf(f: DescField): FieldStep | null {
  if (f.presence === LEGACY_REQUIRED) return null;
  const isSet = isSetOf(f);
  if (isSet === null) return null;
  const get = getterOf(f);
  const no = f.number;
  switch (f.fieldKind) {
    case "scalar":
    case "enum": {
      const c = codecs[f.fieldKind === "enum" ? ScalarType.INT32 : f.scalar];
      const tag = ((no << 3) | c.wireType) >>> 0;
      const ts = varint32Size(tag);
      return {
        field: f,
        isSet,
        size: (m) => ts + c.size(get(m)),
        write(o, m) {
          writeVarint32(o, tag);
          c.write(o, get(m));
        },
      };
    }
    case "message": {
      if (f.delimitedEncoding || f.message.typeName.startsWith("google.protobuf.")) return null;
      const desc = f.message;
      const tag = ((no << 3) | WireType.LengthDelimited) >>> 0;
      const ts = varint32Size(tag);
      return {
        field: f,
        isSet,
        size: (m) => ts + sizeNested(desc, get(m)),
        write(o, m) {
          writeVarint32(o, tag);
          writeNested(o, desc, get(m) as Msg);
        },
      };
    }
    case "list": {
      if (f.listKind === "message") {
        if (f.delimitedEncoding || f.message.typeName.startsWith("google.protobuf.")) return null;
        const desc = f.message;
        const tag = ((no << 3) | WireType.LengthDelimited) >>> 0;
        const ts = varint32Size(tag);
        return {
          field: f,
          isSet,
          size(m) {
            let n = 0;
            for (const item of get(m) as unknown[]) n += ts + sizeNested(desc, item);
            return n;
          },
          write(o, m) {
            for (const item of get(m) as Msg[]) {
              writeVarint32(o, tag);
              writeNested(o, desc, item);
            }
          },
        };
      }
      const c = codecs[f.listKind === "enum" ? ScalarType.INT32 : f.scalar];
      if (f.packed) {
        const tag = ((no << 3) | WireType.LengthDelimited) >>> 0;
        const ts = varint32Size(tag);
        return {
          field: f,
          isSet,
          size(m) {
            let n = 0;
            for (const item of get(m) as unknown[]) n += c.size(item);
            nestedSizes[nestedCount++] = n;
            return ts + varint32Size(n) + n;
          },
          write(o, m) {
            writeVarint32(o, tag);
            writeVarint32(o, nestedSizes[nestedRead++] as number);
            for (const item of get(m) as unknown[]) c.write(o, item);
          },
        };
      }
      const tag = ((no << 3) | c.wireType) >>> 0;
      const ts = varint32Size(tag);
      return {
        field: f,
        isSet,
        size(m) {
          let n = 0;
          for (const item of get(m) as unknown[]) n += ts + c.size(item);
          return n;
        },
        write(o, m) {
          for (const item of get(m) as unknown[]) {
            writeVarint32(o, tag);
            c.write(o, item);
          }
        },
      };
    }
    default:
      return null;
  }
}

function planOf(desc: DescMessage): Plan {
  // Nested message types are planned when first written, so recursive types need nothing special.
  let plan = plans.get(desc);
  if (plan === undefined) {
    plan = buildPlan(desc);
    plans.set(desc, plan);
  }
  if (plan === null) throw BAIL;
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
    return { steps, oneof: undefined, byCase: undefined };
  const keep = (selected: string | undefined) =>
    steps.filter((s) => s.field.oneof !== oneof || s.field.localName === selected);
  const byCase = new Map<string | undefined, readonly FieldStep[]>([[undefined, keep(undefined)]]);
  for (const f of oneof.fields) byCase.set(f.localName, keep(f.localName));
  return { steps, oneof, byCase };
}

function stepsFor(plan: Plan, m: Msg): readonly FieldStep[] {
  if (plan.byCase === undefined) return plan.steps;
  const c = (m[(plan.oneof as DescOneof).localName] as { case?: string } | undefined)?.case;
  return plan.byCase.get(c) ?? plan.steps;
}

type Unknown = { no: number; wireType: WireType; data: Uint8Array }[] | undefined;

function sizeFields(plan: Plan, m: Msg): number {
  let n = 0;
  for (const s of stepsFor(plan, m)) if (s.isSet(m)) n += s.size(m);
  const unknown = m.$unknown as Unknown;
  if (unknown !== undefined)
    for (const u of unknown) {
      if (!(u.data instanceof Uint8Array)) throw BAIL;
      n += tagSize(u.no, u.wireType) + u.data.byteLength;
    }
  return n;
}

function writeFields(o: Out, plan: Plan, m: Msg): void {
  for (const s of stepsFor(plan, m)) if (s.isSet(m)) s.write(o, m);
  const unknown = m.$unknown as Unknown;
  if (unknown !== undefined)
    for (const u of unknown) {
      writeVarint32(o, ((u.no << 3) | u.wireType) >>> 0);
      o.buf.set(u.data, o.pos);
      o.pos += u.data.byteLength;
    }
}

let fallbacks = 0;

/** Messages left to `toBinary` so far (for tests: the fast path is really taken). */
export function fastWriterFallbacks(): number {
  return fallbacks;
}

/**
 * `toBinary(desc, message)`: the same bytes, without reflection for the types it plans (see the
 * module comment). Anything unusual, including a value the stock writer would convert or refuse,
 * goes to `toBinary` itself.
 */
export function fastToBinary(desc: DescMessage, message: object): Uint8Array {
  if ((message as { $typeName?: string }).$typeName !== desc.typeName) return toBinary(desc, message as never);
  nestedCount = 0;
  stringsCount = 0;
  nestedRead = 0;
  stringsRead = 0;
  try {
    const plan = planOf(desc);
    const size = sizeFields(plan, message as Msg);
    const buf = new Uint8Array(size);
    const o: Out = { buf, view: undefined, pos: 0 };
    writeFields(o, plan, message as Msg);
    if (o.pos !== size) throw BAIL; // a value changed between the passes (a getter): not ours to write
    return buf;
  } catch {
    fallbacks++;
    return toBinary(desc, message as never);
  } finally {
    // The encoded strings are not kept past the message.
    for (let i = 0; i < stringsCount; i++) strings[i] = undefined;
    stringsCount = 0;
  }
}
