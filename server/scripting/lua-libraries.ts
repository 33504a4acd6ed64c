/**
 * The libraries Redis gives scripts besides Lua's own: `cjson` (JSON), `cmsgpack` (MessagePack)
 * and `bit` (LuaBitOp). Written here over byte strings — Lua strings are bytes, JSON and
 * MessagePack carry them as they are — so a value that is not UTF-8 survives a round trip.
 * Behaviour follows the libraries Redis bundles (lua-cjson 2.1, lua-cmsgpack 0.4, LuaBitOp 1.0):
 * an empty table encodes as a JSON object, `cjson.null` is a unique value, arrays are tables whose
 * keys are 1..n.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { bytesFromArray, bytesFromUtf8, bytesToArray, bytesToUtf8 } from "../../shared/store/bytes.js";
import type { Fengari, LuaState } from "./lua.js";
import type { LuaValues } from "./lua-values.js";

/** A decoded JSON / MessagePack value, before it becomes a Lua value. */
type Plain = null | boolean | number | Bytes | Plain[] | Map<Plain, Plain> | JsonNull;

/** The type of cjson.null. */
class JsonNull {}
/** cjson.null: a light userdata Lua scripts compare against. */
const JSON_NULL = new JsonNull();

/** Most nesting cjson/cmsgpack accept (lua-cjson's default 1000), so a self-referencing table fails cleanly. */
const MAX_DEPTH = 1000;

export function openScriptLibraries(f: Fengari, L: LuaState, values: LuaValues): void {
  const { lua } = f;
  const lib = (name: string, fns: Record<string, (S: LuaState) => number>, extra?: () => void) => {
    lua.lua_createtable(L, 0, Object.keys(fns).length);
    for (const [key, fn] of Object.entries(fns)) {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, -2, f.to_luastring(key));
    }
    extra?.();
    lua.lua_setglobal(L, f.to_luastring(name));
  };
  const io = new LuaPlain(f, values);
  const guarded =
    (fn: (S: LuaState) => number) =>
    (S: LuaState): number => {
      try {
        return fn(S);
      } catch (error) {
        if (!(error instanceof LibraryError)) throw error;
        lua.lua_settop(S, 0);
        values.pushBytes(S, error.message);
        return lua.lua_error(S);
      }
    };
  lib(
    "cjson",
    {
      encode: guarded((S) => {
        const text = encodeJson(io.read(S, 1, 0));
        lua.lua_settop(S, 0);
        values.pushBytes(S, text);
        return 1;
      }),
      decode: guarded((S) => {
        if (lua.lua_type(S, 1) !== lua.LUA_TSTRING)
          throw new LibraryError("bad argument #1 to 'decode' (string expected)");
        const parsed = decodeJson(values.bytesAt(S, 1));
        lua.lua_settop(S, 0);
        io.push(S, parsed, 0);
        return 1;
      }),
    },
    () => {
      lua.lua_pushlightuserdata(L, JSON_NULL);
      lua.lua_setfield(L, -2, f.to_luastring("null"));
    },
  );
  lib("cmsgpack", {
    pack: guarded((S) => {
      const n = lua.lua_gettop(S);
      const parts: Uint8Array[] = [];
      for (let i = 1; i <= n; i++) parts.push(packMsgpack(io.read(S, i, 0)));
      lua.lua_settop(S, 0);
      values.pushBytes(S, parts.map((p) => bytesFromArray(p)).join(""));
      return 1;
    }),
    unpack: guarded((S) => {
      if (lua.lua_type(S, 1) !== lua.LUA_TSTRING)
        throw new LibraryError("bad argument #1 to 'unpack' (string expected)");
      const items = unpackMsgpack(bytesToArray(values.bytesAt(S, 1)));
      lua.lua_settop(S, 0);
      for (const item of items) io.push(S, item, 0);
      return items.length;
    }),
  });
  const int = (S: LuaState, i: number): number => lua.lua_tonumber(S, i) | 0;
  const bitop = (op: (a: number, b: number) => number) => (S: LuaState) => {
    const n = lua.lua_gettop(S);
    let acc = int(S, 1);
    for (let i = 2; i <= n; i++) acc = op(acc, int(S, i));
    lua.lua_settop(S, 0);
    lua.lua_pushnumber(S, acc | 0);
    return 1;
  };
  const shift = (op: (a: number, b: number) => number) => (S: LuaState) => {
    const r = op(int(S, 1), int(S, 2) & 31) | 0;
    lua.lua_settop(S, 0);
    lua.lua_pushnumber(S, r);
    return 1;
  };
  lib("bit", {
    tobit: bitop((a) => a),
    bnot: (S) => {
      const r = ~int(S, 1);
      lua.lua_settop(S, 0);
      lua.lua_pushnumber(S, r);
      return 1;
    },
    band: bitop((a, b) => a & b),
    bor: bitop((a, b) => a | b),
    bxor: bitop((a, b) => a ^ b),
    lshift: shift((a, b) => a << b),
    rshift: shift((a, b) => a >>> b),
    arshift: shift((a, b) => a >> b),
    rol: shift((a, b) => (a << b) | (a >>> (32 - b))),
    ror: shift((a, b) => (a >>> b) | (a << (32 - b))),
    bswap: (S) => {
      const a = int(S, 1);
      const r = ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24);
      lua.lua_settop(S, 0);
      lua.lua_pushnumber(S, r | 0);
      return 1;
    },
    tohex: (S) => {
      const a = int(S, 1);
      let n = lua.lua_gettop(S) >= 2 ? int(S, 2) : 8;
      const upper = n < 0;
      n = Math.min(Math.abs(n), 8);
      let hex = (a >>> 0)
        .toString(16)
        .padStart(8, "0")
        .slice(8 - n);
      if (upper) hex = hex.toUpperCase();
      lua.lua_settop(S, 0);
      values.pushBytes(S, hex);
      return 1;
    },
  });
}

/** A library's error: raised in Lua as a string error. */
class LibraryError extends Error {}

/** Reads Lua values into {@link Plain} and pushes them back. */
class LuaPlain {
  constructor(
    private readonly f: Fengari,
    private readonly values: LuaValues,
  ) {}

  read(L: LuaState, idx: number, depth: number): Plain {
    const { lua } = this.f;
    if (depth > MAX_DEPTH) throw new LibraryError("Cannot serialise, excessive nesting (1001)");
    const at = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    switch (lua.lua_type(L, at)) {
      case lua.LUA_TNIL:
        return null;
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, at);
      case lua.LUA_TNUMBER:
        return lua.lua_tonumber(L, at);
      case lua.LUA_TSTRING:
        return this.values.bytesAt(L, at);
      case lua.LUA_TLIGHTUSERDATA:
        if (lua.lua_touserdata(L, at) === JSON_NULL) return JSON_NULL;
        throw new LibraryError("Cannot serialise userdata: type not supported");
      case lua.LUA_TTABLE: {
        const map = new Map<Plain, Plain>();
        lua.lua_pushnil(L);
        while (lua.lua_next(L, at)) {
          map.set(this.read(L, -2, depth + 1), this.read(L, -1, depth + 1));
          lua.lua_pop(L, 1);
        }
        // An array: keys exactly 1..n (n ≥ 1).
        let n = 0;
        for (const key of map.keys()) {
          if (typeof key !== "number" || !Number.isInteger(key) || key < 1) return map;
          n = Math.max(n, key);
        }
        if (n === 0 || n !== map.size) return map;
        return Array.from({ length: n }, (_, i) => map.get(i + 1) as Plain);
      }
      default:
        throw new LibraryError("Cannot serialise function: type not supported");
    }
  }

  push(L: LuaState, v: Plain, depth: number): void {
    const { lua } = this.f;
    if (depth > MAX_DEPTH) throw new LibraryError("Found too many nested data structures (1001)");
    if (v === null) lua.lua_pushnil(L);
    else if (v instanceof JsonNull) lua.lua_pushlightuserdata(L, JSON_NULL);
    else if (typeof v === "boolean") lua.lua_pushboolean(L, v);
    else if (typeof v === "number") lua.lua_pushnumber(L, v);
    else if (typeof v === "string") this.values.pushBytes(L, v);
    else if (Array.isArray(v)) {
      lua.lua_createtable(L, v.length, 0);
      v.forEach((item, i) => {
        this.push(L, item, depth + 1);
        lua.lua_rawseti(L, -2, i + 1);
      });
    } else {
      lua.lua_createtable(L, 0, v.size);
      for (const [key, value] of v) {
        if (key === null) continue;
        this.push(L, key, depth + 1);
        this.push(L, value, depth + 1);
        lua.lua_rawset(L, -3);
      }
    }
  }
}

// --- JSON ------------------------------------------------------------------------------------

const JSON_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "/": "\\/",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/** A number as lua-cjson prints it (`%.14g`). */
function jsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new LibraryError("Cannot serialise number: must not be NaN or Inf");
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return String(n);
  const g = n.toPrecision(14);
  return g.includes("e") ? g.replace(/\.?0+e/, "e").replace(/e([+-])(\d)$/, "e$10$2") : g.replace(/\.?0+$/, "");
}

function encodeJson(v: Plain): Bytes {
  if (v === null || v instanceof JsonNull) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return jsonNumber(v);
  if (typeof v === "string") {
    let out = '"';
    for (const ch of v) {
      const code = ch.charCodeAt(0);
      out += JSON_ESCAPES[ch] ?? (code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : ch);
    }
    return `${out}"`;
  }
  if (Array.isArray(v)) return `[${v.map(encodeJson).join(",")}]`;
  const parts: string[] = [];
  for (const [key, value] of v) {
    if (typeof key === "number") parts.push(`${encodeJson(jsonNumber(key))}:${encodeJson(value)}`);
    else if (typeof key === "string") parts.push(`${encodeJson(key)}:${encodeJson(value)}`);
    else throw new LibraryError("Cannot serialise table: table key must be a number or string");
  }
  return `{${parts.join(",")}}`;
}

function decodeJson(text: Bytes): Plain {
  let parsed: unknown;
  try {
    // JSON text is UTF-8; strings inside go back to bytes as UTF-8.
    parsed = JSON.parse(bytesToUtf8(text));
  } catch (error) {
    throw new LibraryError(`Expected value but found invalid token: ${(error as Error).message}`);
  }
  const convert = (v: unknown, depth: number): Plain => {
    if (depth > MAX_DEPTH) throw new LibraryError("Found too many nested data structures (1001)");
    if (v === null) return JSON_NULL;
    if (typeof v === "boolean" || typeof v === "number") return v;
    if (typeof v === "string") return bytesFromUtf8(v);
    if (Array.isArray(v)) return v.map((item) => convert(item, depth + 1));
    const map = new Map<Plain, Plain>();
    for (const [key, value] of Object.entries(v as object)) map.set(bytesFromUtf8(key), convert(value, depth + 1));
    return map;
  };
  return convert(parsed, 0);
}

// --- MessagePack -----------------------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(...bytes: number[]): this {
    this.room(bytes.length);
    for (const b of bytes) this.buf[this.length++] = b;
    return this;
  }
  /** Writes one big-endian number of `size` bytes at the end. */
  private put(size: number, write: (view: DataView, at: number) => void): this {
    this.room(size);
    write(this.view, this.length);
    this.length += size;
    return this;
  }
  u16(n: number): this {
    return this.put(2, (v, at) => v.setUint16(at, n));
  }
  u32(n: number): this {
    return this.put(4, (v, at) => v.setUint32(at, n));
  }
  i64(n: bigint): this {
    return this.put(8, (v, at) => v.setBigInt64(at, n));
  }
  f64(n: number): this {
    return this.put(8, (v, at) => v.setFloat64(at, n));
  }
  f32(n: number): this {
    return this.put(4, (v, at) => v.setFloat32(at, n));
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function packMsgpack(v: Plain): Uint8Array {
  const w = new Writer();
  const write = (x: Plain): void => {
    if (x === null || x instanceof JsonNull) w.u8(0xc0);
    else if (x === true) w.u8(0xc3);
    else if (x === false) w.u8(0xc2);
    else if (typeof x === "number") {
      if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) {
        if (x >= 0 && x < 128) w.u8(x);
        else if (x < 0 && x >= -32) w.u8(x & 0xff);
        else if (x >= 0 && x < 0x100) w.u8(0xcc, x);
        else if (x >= 0 && x < 0x10000) w.u8(0xcd).u16(x);
        else if (x >= 0 && x < 0x100000000) w.u8(0xce).u32(x);
        else if (x >= -128 && x < 0) w.u8(0xd0, x & 0xff);
        else if (x >= -32768 && x < 0) w.u8(0xd1).u16(x & 0xffff);
        else if (x >= -2147483648 && x < 0) w.u8(0xd2).u32(x >>> 0);
        else w.u8(x >= 0 ? 0xcf : 0xd3).i64(BigInt(x));
      } else if (Math.fround(x) === x) w.u8(0xca).f32(x);
      else w.u8(0xcb).f64(x);
    } else if (typeof x === "string") {
      const n = x.length;
      if (n < 32) w.u8(0xa0 | n);
      else if (n < 0x100) w.u8(0xd9, n);
      else if (n < 0x10000) w.u8(0xda).u16(n);
      else w.u8(0xdb).u32(n);
      w.bytes(bytesToArray(x));
    } else if (Array.isArray(x)) {
      const n = x.length;
      if (n < 16) w.u8(0x90 | n);
      else if (n < 0x10000) w.u8(0xdc).u16(n);
      else w.u8(0xdd).u32(n);
      for (const item of x) write(item);
    } else {
      const n = x.size;
      if (n < 16) w.u8(0x80 | n);
      else if (n < 0x10000) w.u8(0xde).u16(n);
      else w.u8(0xdf).u32(n);
      for (const [key, value] of x) {
        write(key);
        write(value);
      }
    }
  };
  write(v);
  return w.done();
}

/** Decodes every value in `data` (cmsgpack.unpack returns them all). */
function unpackMsgpack(data: Uint8Array): Plain[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > data.length) throw new LibraryError("Missing bytes in input.");
  };
  const str = (n: number): Bytes => {
    need(n);
    const out = bytesFromArray(data.subarray(at, at + n));
    at += n;
    return out;
  };
  const read = (depth: number): Plain => {
    if (depth > MAX_DEPTH) throw new LibraryError("Found too many nested data structures (1001)");
    need(1);
    const t = data[at++] as number;
    const array = (n: number): Plain[] => Array.from({ length: n }, () => read(depth + 1));
    const map = (n: number): Map<Plain, Plain> => {
      const m = new Map<Plain, Plain>();
      for (let i = 0; i < n; i++) {
        const key = read(depth + 1);
        m.set(key, read(depth + 1));
      }
      return m;
    };
    const num = (size: number, get: (o: number) => number | bigint): number => {
      need(size);
      const v = get(at);
      at += size;
      return Number(v);
    };
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return array(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return str(num(1, (o) => view.getUint8(o)));
      case 0xc5:
      case 0xda:
        return str(num(2, (o) => view.getUint16(o)));
      case 0xc6:
      case 0xdb:
        return str(num(4, (o) => view.getUint32(o)));
      case 0xca:
        return num(4, (o) => view.getFloat32(o));
      case 0xcb:
        return num(8, (o) => view.getFloat64(o));
      case 0xcc:
        return num(1, (o) => view.getUint8(o));
      case 0xcd:
        return num(2, (o) => view.getUint16(o));
      case 0xce:
        return num(4, (o) => view.getUint32(o));
      case 0xcf:
        return num(8, (o) => view.getBigUint64(o));
      case 0xd0:
        return num(1, (o) => view.getInt8(o));
      case 0xd1:
        return num(2, (o) => view.getInt16(o));
      case 0xd2:
        return num(4, (o) => view.getInt32(o));
      case 0xd3:
        return num(8, (o) => view.getBigInt64(o));
      case 0xdc:
        return array(num(2, (o) => view.getUint16(o)));
      case 0xdd:
        return array(num(4, (o) => view.getUint32(o)));
      case 0xde:
        return map(num(2, (o) => view.getUint16(o)));
      case 0xdf:
        return map(num(4, (o) => view.getUint32(o)));
      default:
        // ext types (0xc7–0xc9, 0xd4–0xd8) and the unused 0xc1: not produced by cmsgpack.
        throw new LibraryError(`Unsupported MessagePack type 0x${t.toString(16)}`);
    }
  };
  const out: Plain[] = [];
  while (at < data.length) out.push(read(0));
  return out;
}
