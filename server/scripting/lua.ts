/**
 * The one module that loads the Lua VM: fengari 0.1.5 (Lua 5.3 in plain JavaScript, pinned
 * exactly; `lua.test.ts` fails loudly if an upgrade changes what this module relies on).
 *
 * Why fengari: Lua strings are byte arrays (`Uint8Array`), so keys and values with any bytes pass
 * through scripts unchanged, as in Redis; it runs synchronously inside a command (atomic, like
 * Redis's scripts) and needs no WebAssembly or native build.
 *
 * Redis embeds Lua 5.1, where every number is a double. Two settings bring Lua 5.3 close to that:
 * `LUA_COMPAT_FLOATSTRING` (an integral float prints as `3`, not `3.0`), read by fengari from the
 * `FENGARICONF` environment variable when it is first loaded — hence the lazy `require` below,
 * after setting it — and numbers handed to scripts are floats (script-runtime.ts).
 */
import { createRequire } from "node:module";

/** A Lua state (opaque). */
export type LuaState = { readonly __luaState: unique symbol };
/** A JavaScript function callable from Lua: returns how many results it pushed. */
export type LuaFunction = (L: LuaState) => number;

/** The parts of fengari's C-like API used here (names as in lua.h / lauxlib.h). */
export interface Fengari {
  readonly lua: {
    readonly LUA_OK: number;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TLIGHTUSERDATA: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TFUNCTION: number;
    readonly LUA_RIDX_GLOBALS: number;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, idx: number, k: Uint8Array): number;
    lua_getglobal(L: LuaState, name: Uint8Array): number;
    lua_gettop(L: LuaState): number;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_next(L: LuaState, idx: number): boolean;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushjsfunction(L: LuaState, f: LuaFunction): void;
    lua_pushlightuserdata(L: LuaState, p: object): void;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_rawequal(L: LuaState, a: number, b: number): boolean;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawlen(L: LuaState, idx: number): number;
    lua_rawset(L: LuaState, idx: number): void;
    lua_remove(L: LuaState, idx: number): void;
    lua_atnativeerror(L: LuaState, f: (L: LuaState) => number): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_setfield(L: LuaState, idx: number, k: Uint8Array): void;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_sethook(L: LuaState, f: ((L: LuaState) => void) | null, mask: number, count: number): void;
    lua_setmetatable(L: LuaState, idx: number): void;
    lua_settop(L: LuaState, idx: number): void;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tolstring(L: LuaState, idx: number): Uint8Array | null;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_touserdata(L: LuaState, idx: number): unknown;
    lua_type(L: LuaState, idx: number): number;
  };
  readonly lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buff: Uint8Array, size: number | null, name: Uint8Array): number;
    luaL_requiref(L: LuaState, name: Uint8Array, open: LuaFunction, global: number): void;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_argcheck(L: LuaState, cond: boolean, arg: number, extramsg: Uint8Array): void;
    luaL_error(L: LuaState, message: Uint8Array): never;
  };
  readonly lualib: {
    luaopen_base: LuaFunction;
    luaopen_table: LuaFunction;
    luaopen_string: LuaFunction;
    luaopen_math: LuaFunction;
    luaopen_debug: LuaFunction;
  };
  to_luastring(s: string): Uint8Array;
  readonly FENGARI_RELEASE: string;
}

/** The fengari version this module was written against (package.json pins it exactly). */
export const FENGARI_VERSION = "0.1.5";

let loaded: Fengari | undefined;

/** Loads fengari once (configured for Redis's number formatting). */
export function fengari(): Fengari {
  if (loaded !== undefined) return loaded;
  // Read by fengari's luaconf.js when first loaded (the only way to set it): integral floats print
  // as integers, as Lua 5.1 prints its numbers.
  process.env.FENGARICONF = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
  const require = createRequire(import.meta.url);
  loaded = require("fengari") as Fengari;
  return loaded;
}
