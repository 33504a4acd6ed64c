/**
 * Values across the Lua boundary, converted as Redis converts them ("Conversion between Lua and
 * Redis data types" in Redis's EVAL documentation, RESP2):
 *
 * | Redis reply | Lua | | Lua | Redis reply |
 * |---|---|---|---|---|
 * | integer | number | | number | integer (truncated) |
 * | bulk string | string | | string | bulk string |
 * | array | table (array) | | table (array, up to the first nil) | array |
 * | status | `{ok = text}` | | `{ok = text}` | status |
 * | error | `{err = text}` | | `{err = text}` | error |
 * | nil | `false` | | `false` / `nil` | nil; `true` is the integer 1 |
 *
 * Strings are bytes on both sides (fengari strings are `Uint8Array`s, the store's {@link Bytes}
 * are byte strings), so nothing is re-encoded.
 */
import { type Bytes, bytesFromArray, bytesToArray } from "../../shared/store/bytes.js";
import { StoreError } from "../../shared/store/errors.js";
import { type Reply, Status } from "../../shared/store/reply.js";
import type { Fengari, LuaState } from "./lua.js";

const INT64_MIN = -9223372036854775808n;

/** A Lua number as a command argument: C's `%.17g`, as Redis formats it. */
export function formatLuaNumber(n: number): Bytes {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa, exponent] = n.toExponential(16).split("e") as [string, string];
  const x = Number(exponent);
  const strip = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (x < -4 || x >= 17) {
    const digits = String(Math.abs(x)).padStart(2, "0");
    return `${strip(mantissa)}e${x < 0 ? "-" : "+"}${digits}`;
  }
  return strip(n.toFixed(16 - x));
}

/** A Lua number as an integer reply: truncated toward zero; out of int64's range as C's cast gives it. */
function integerReply(n: number): number | bigint {
  const t = Math.trunc(n);
  if (Number.isSafeInteger(t)) return t;
  if (!(Math.abs(t) < 2 ** 63)) return INT64_MIN;
  return BigInt(t);
}

/** Converts between store replies and Lua values on one Lua state. */
export class LuaValues {
  private readonly ok: Uint8Array;
  private readonly err: Uint8Array;

  constructor(private readonly f: Fengari) {
    this.ok = f.to_luastring("ok");
    this.err = f.to_luastring("err");
  }

  /** Pushes a byte string. */
  pushBytes(L: LuaState, bytes: Bytes): void {
    this.f.lua.lua_pushstring(L, bytesToArray(bytes));
  }

  /** Pushes `{err = message}` (what redis.pcall returns for a failed command). */
  pushErrorTable(L: LuaState, message: string): void {
    const { lua } = this.f;
    lua.lua_createtable(L, 0, 1);
    this.pushBytes(L, message);
    lua.lua_setfield(L, -2, this.err);
  }

  /** Pushes a store reply as Redis hands one to a script (numbers are floats: Lua 5.1 had only doubles). */
  pushReply(L: LuaState, reply: Reply): void {
    const { lua } = this.f;
    if (reply === null) lua.lua_pushboolean(L, false);
    else if (typeof reply === "number") lua.lua_pushnumber(L, reply);
    else if (typeof reply === "bigint") lua.lua_pushnumber(L, Number(reply));
    else if (typeof reply === "string") this.pushBytes(L, reply);
    else if (reply instanceof Status) {
      lua.lua_createtable(L, 0, 1);
      this.pushBytes(L, reply.text);
      lua.lua_setfield(L, -2, this.ok);
    } else if (reply instanceof StoreError) this.pushErrorTable(L, reply.message);
    else {
      lua.lua_createtable(L, reply.length, 0);
      for (let i = 0; i < reply.length; i++) {
        this.pushReply(L, reply[i] as Reply);
        lua.lua_rawseti(L, -2, i + 1);
      }
    }
  }

  /** The byte string at `idx` (a string, or a number converted as Lua converts it), at most `max` bytes of it. */
  bytesAt(L: LuaState, idx: number, max = Number.POSITIVE_INFINITY): Bytes {
    const array = this.f.lua.lua_tolstring(L, idx) as Uint8Array;
    return bytesFromArray(array.length > max ? array.subarray(0, max) : array);
  }

  /** A script's result (the value at `idx`) as a store reply. `depth` bounds nesting (a table that contains itself). */
  toReply(L: LuaState, idx: number, depth = 0): Reply {
    const { lua } = this.f;
    switch (lua.lua_type(L, idx)) {
      case lua.LUA_TNUMBER:
        return integerReply(lua.lua_tonumber(L, idx));
      case lua.LUA_TSTRING:
        return this.bytesAt(L, idx);
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, idx) ? 1 : null;
      case lua.LUA_TTABLE:
        return this.tableReply(L, idx, depth);
      default:
        return null;
    }
  }

  private tableReply(L: LuaState, idx: number, depth: number): Reply {
    const { lua } = this.f;
    if (depth > 1000) throw new StoreError("ERR", "ERR reached lua stack limit");
    const at = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    // {err = "..."} is an error reply, {ok = "..."} a status (only when the field is a string).
    if (lua.lua_getfield(L, at, this.err) === lua.LUA_TSTRING) {
      const message = this.bytesAt(L, -1);
      lua.lua_pop(L, 1);
      return new StoreError("ERR", message);
    }
    lua.lua_pop(L, 1);
    if (lua.lua_getfield(L, at, this.ok) === lua.LUA_TSTRING) {
      const text = this.bytesAt(L, -1);
      lua.lua_pop(L, 1);
      return new Status(text);
    }
    lua.lua_pop(L, 1);
    const out: Reply[] = [];
    for (let i = 1; ; i++) {
      if (lua.lua_rawgeti(L, at, i) === lua.LUA_TNIL) {
        lua.lua_pop(L, 1);
        return out;
      }
      out.push(this.toReply(L, -1, depth + 1));
      lua.lua_pop(L, 1);
    }
  }
}
