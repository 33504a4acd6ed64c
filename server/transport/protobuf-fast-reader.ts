/**
 * A reflection-free binary reader for the messages the stream lane receives (PipelineRequest and
 * the Command inside), giving what protobuf-es's `fromBinary` gives.
 *
 * `fromBinary` wraps every message it reads in a `ReflectMessage` and goes through `findNumber`,
 * `readField`'s switch and `set` (with its value conversions) for each field: for a Pipeline
 * request that is three reflect objects, ~1.5 µs of the ~7 µs a command costs. Here each message
 * type gets a table (field number → reader) once, and a message is read with protobuf-es's own
 * `BinaryReader`, calling its methods in the order `fromBinary` calls them (same values, same
 * positions, same errors), and storing values as `set` stores them for these field kinds.
 *
 * Only the plain path is taken here; on anything else the whole message is parsed again by
 * `fromBinary` (same result or same error by definition): unknown fields, map fields, group
 * encoding, closed enums, 64-bit fields as strings, google.protobuf types (wrappers are unboxed),
 * nesting near the recursion limit, and any error.
 */
import { create, type DescField, type DescMessage, fromBinary, ScalarType } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

type Msg = Record<string, unknown>;
type ReadField = (m: Msg, r: BinaryReader, wireType: WireType, depth: number) => void;

/** Thrown to leave a message to `fromBinary`. */
const BAIL = new Error("not on the fast path");
/** `fromBinary`'s recursion limit is 100: stay well below it, and leave deeper input to it. */
const MAX_DEPTH = 64;

interface Plan {
  readonly desc: DescMessage;
  readonly byNumber: Map<number, ReadField>;
}

const plans = new WeakMap<DescMessage, Plan | null>();

/** The BinaryReader call `readScalar` makes for a scalar type. */
function scalarReader(t: ScalarType, utf8Validation: boolean): (r: BinaryReader) => unknown {
  switch (t) {
    case ScalarType.STRING:
      return (r) => readString(r, utf8Validation);
    case ScalarType.BOOL:
      return (r) => r.bool();
    case ScalarType.DOUBLE:
      return (r) => r.double();
    case ScalarType.FLOAT:
      return (r) => r.float();
    case ScalarType.INT32:
      return (r) => r.int32();
    case ScalarType.INT64:
      return (r) => r.int64();
    case ScalarType.UINT64:
      return (r) => r.uint64();
    case ScalarType.FIXED64:
      return (r) => r.fixed64();
    case ScalarType.BYTES:
      return (r) => r.bytes();
    case ScalarType.FIXED32:
      return (r) => r.fixed32();
    case ScalarType.SFIXED32:
      return (r) => r.sfixed32();
    case ScalarType.SFIXED64:
      return (r) => r.sfixed64();
    case ScalarType.SINT64:
      return (r) => r.sint64();
    case ScalarType.UINT32:
      return (r) => r.uint32();
    case ScalarType.SINT32:
      return (r) => r.sint32();
  }
}

/** The reader's input (a protected field in the typings, public at run time). */
const bufOf = (r: BinaryReader) => (r as unknown as { buf: Uint8Array }).buf;

/**
 * `reader.string()`: short ASCII strings (keys, mostly) are built directly, which gives what the
 * TextDecoder gives for them; anything else (longer, non-ASCII, past the end) goes to the reader.
 */
function readString(r: BinaryReader, utf8Validation: boolean): string {
  const start = r.pos;
  const len = r.uint32();
  const at = r.pos;
  const end = at + len;
  if (len <= 32 && end <= r.len) {
    const b = bufOf(r);
    let s = "";
    let i = at;
    for (; i < end; i++) {
      const c = b[i] as number;
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) {
      r.pos = end;
      return s;
    }
  }
  r.pos = start;
  return r.string(utf8Validation);
}

/** `reader.tag()` without its result array; an illegal tag is left to `fromBinary` (its error). */
function readTag(r: BinaryReader): number {
  const start = r.pos;
  const tag = r.uint32();
  const bytesRead = r.pos - start;
  if (bytesRead > 5 || (bytesRead === 5 && (bufOf(r)[r.pos - 1] as number) > 0x0f)) throw BAIL;
  if (tag >>> 3 <= 0 || (tag & 7) > 5) throw BAIL;
  return tag;
}

/** Stores a value as `unsafeSet` does. */
function setterOf(f: DescField): (m: Msg, v: unknown) => void {
  const name = f.localName;
  if (f.oneof !== undefined) {
    const group = f.oneof.localName;
    return (m, v) => {
      m[group] = { case: name, value: v };
    };
  }
  return (m, v) => {
    m[name] = v;
  };
}

const unsupportedMessage = (d: DescMessage) => d.typeName.startsWith("google.protobuf.");

/** `Edition.EDITION_PROTO3` and `FieldPresence.IMPLICIT`. */
const EDITION_PROTO3 = 999;
const IMPLICIT = 2;
const zeros = new WeakMap<DescMessage, () => Msg>();

/**
 * What `create(desc)` returns for a proto3 message (createZeroMessage: `$typeName`, then each
 * oneof and implicit-presence field's zero value, in member order), without walking the
 * descriptor per message. Other messages (prototype-chain defaults) get `create` itself.
 */
function zeroOf(desc: DescMessage): () => Msg {
  let zero = zeros.get(desc);
  if (zero === undefined) {
    zero = () => create(desc) as Msg;
    const entries: [string, () => unknown][] = [];
    let plain = desc.file.edition === EDITION_PROTO3;
    for (const member of desc.members) {
      if (!plain) break;
      if (member.kind === "oneof") entries.push([member.localName, () => ({ case: undefined })]);
      else if (member.presence === IMPLICIT) {
        if (member.fieldKind === "list") entries.push([member.localName, () => []]);
        else if (member.fieldKind === "map") entries.push([member.localName, () => ({})]);
        else if (member.fieldKind === "message" || member.getDefaultValue() !== undefined) plain = false;
        else if (member.fieldKind === "enum") {
          const v = member.enum.values[0]?.number;
          entries.push([member.localName, () => v]);
        } else {
          const t = member.scalar;
          const long = member.longAsString;
          entries.push([member.localName, () => scalarZeroValue(t, long)]);
        }
      }
    }
    if (plain) {
      const typeName = desc.typeName;
      zero = () => {
        const m: Msg = { $typeName: typeName };
        for (const [k, z] of entries) m[k] = z();
        return m;
      };
    }
    zeros.set(desc, zero);
  }
  return zero;
}

/** protobuf-es's `scalarZeroValue` (a new empty Uint8Array each time, as there). */
function scalarZeroValue(t: ScalarType, longAsString: boolean): unknown {
  switch (t) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 0.0;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SFIXED64:
    case ScalarType.FIXED64:
    case ScalarType.SINT64:
      return longAsString ? "0" : 0n;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function readerOf(f: DescField): ReadField | null {
  const set = setterOf(f);
  switch (f.fieldKind) {
    case "scalar": {
      if (f.longAsString) return null;
      const read = scalarReader(f.scalar, f.utf8Validation);
      return (m, r) => set(m, read(r));
    }
    case "enum": {
      if (!f.enum.open) return null;
      return (m, r) => set(m, r.int32());
    }
    case "message": {
      if (f.delimitedEncoding || unsupportedMessage(f.message)) return null;
      const desc = f.message;
      const name = f.localName;
      const group = f.oneof?.localName;
      // As `readMessageField` with `message.get(field)`: a message already there is merged into.
      const existing =
        group === undefined
          ? (m: Msg) => m[name] as Msg | undefined
          : (m: Msg) => {
              const o = m[group] as { case?: string; value?: unknown };
              return o.case === name ? (o.value as Msg) : undefined;
            };
      return (m, r, _wt, depth) => {
        const target = existing(m) ?? zeroOf(desc)();
        readMessage(planOf(desc), target, r, r.uint32(), depth + 1);
        set(m, target);
      };
    }
    case "list": {
      const name = f.localName;
      if (f.listKind === "message") {
        if (f.delimitedEncoding || unsupportedMessage(f.message)) return null;
        const desc = f.message;
        return (m, r, _wt, depth) => {
          const item = zeroOf(desc)();
          readMessage(planOf(desc), item, r, r.uint32(), depth + 1);
          (m[name] as unknown[]).push(item);
        };
      }
      if (f.listKind === "scalar" && f.longAsString) return null;
      const t = f.listKind === "enum" ? ScalarType.INT32 : f.scalar;
      const read = scalarReader(t, f.utf8Validation);
      const packable = t !== ScalarType.STRING && t !== ScalarType.BYTES;
      return (m, r, wt) => {
        const list = m[name] as unknown[];
        if (!(packable && wt === WireType.LengthDelimited)) {
          list.push(read(r));
          return;
        }
        const e = r.uint32() + r.pos;
        while (r.pos < e) list.push(read(r));
      };
    }
    default:
      return null;
  }
}

function planOf(desc: DescMessage): Plan {
  let plan = plans.get(desc);
  if (plan === undefined) {
    plan = null;
    if (!unsupportedMessage(desc)) {
      const byNumber = new Map<number, ReadField>();
      for (const f of desc.fields) {
        const read = readerOf(f);
        if (read === null) {
          byNumber.clear();
          break;
        }
        byNumber.set(f.number, read);
      }
      if (byNumber.size === desc.fields.length) plan = { desc, byNumber };
    }
    plans.set(desc, plan);
  }
  if (plan === null) throw BAIL;
  return plan;
}

/** `readMessage` for a length-delimited message of `length` bytes from the reader's position. */
function readMessage(plan: Plan, m: Msg, r: BinaryReader, length: number, depth: number): void {
  if (depth > MAX_DEPTH) throw BAIL;
  const end = r.pos + length;
  const byNumber = plan.byNumber;
  while (r.pos < end) {
    const tag = readTag(r);
    const read = byNumber.get(tag >>> 3);
    if (read === undefined) throw BAIL; // an unknown field: kept by fromBinary
    read(m, r, tag & 7, depth);
  }
}

/** Whether messages of this type are read here (for tests: the fast path is really taken). */
export function isPlanned(desc: DescMessage): boolean {
  try {
    planOf(desc);
    return true;
  } catch {
    return false;
  }
}

/** `fromBinary(desc, bytes)`: the same message (or the same error), read without reflection where it can be. */
export function fastFromBinary(desc: DescMessage, bytes: Uint8Array): unknown {
  try {
    const m = zeroOf(desc)();
    readMessage(planOf(desc), m, new BinaryReader(bytes), bytes.byteLength, 1);
    return m;
  } catch {
    return fromBinary(desc, bytes);
  }
}
