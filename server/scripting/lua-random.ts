/**
 * `math.random` and `math.randomseed` as Redis 7.0 gives them to scripts: its own `rand48`
 * generator (src/rand.c, the 48-bit linear congruence of POSIX `lrand48`), one state for the
 * server, never seeded unless a script calls `math.randomseed` — so a fresh server's first
 * `math.random(1000000)` is 396465, as redis-server 7.0's is. Fengari's own `math.random` uses
 * `Math.random` until seeded, so scripts would differ from Redis's and from one run to the next.
 *
 * The state can be saved and restored: a script that an engine runs again from the start (the
 * etcd engine re-runs a command after a remote read) draws the same numbers on the re-run.
 */
import type { Fengari, LuaState } from "./lua.js";

const MULTIPLIER = 0x5deece66dn;
const INCREMENT = 0xbn;
const MASK_48 = (1n << 48n) - 1n;
/** rand.c's unseeded state: X2 X1 X0 = 0x1234 0xABCD 0x330E. */
const INITIAL = 0x1234abcd330en;
/** REDIS_LRAND48_MAX (INT32_MAX). */
const LRAND48_MAX = 2147483647;

/** Redis's rand48 state, as one 48-bit integer. */
export class Rand48 {
  private x = INITIAL;

  /** The next `lrand48()`: the top 31 bits of the advanced state. */
  next(): number {
    this.x = (MULTIPLIER * this.x + INCREMENT) & MASK_48;
    return Number(this.x >> 17n);
  }

  /** `srand48(seed)`: X0 = 0x330E, X1 and X2 the low and high 16 bits of the 32-bit seed. */
  seed(seed: number): void {
    this.x = (BigInt((seed >>> 0) & 0xffffffff) << 16n) | 0x330en;
  }

  /** The whole state, for {@link restore}. */
  save(): bigint {
    return this.x;
  }

  restore(state: bigint): void {
    this.x = state;
  }
}

/** Lua 5.1's `luaL_checkint`: the number truncated toward zero, as a C int (wrapping at 32 bits). */
function checkInt(f: Fengari, L: LuaState, arg: number): number {
  return Math.trunc(f.lauxlib.luaL_checknumber(L, arg)) | 0;
}

/** Replaces `math.random` / `math.randomseed` (before the math table is made read-only). */
export function openRedisRandom(f: Fengari, L: LuaState, rand: Rand48): void {
  const { lua, lauxlib } = f;
  lua.lua_getglobal(L, f.to_luastring("math"));
  lua.lua_pushjsfunction(L, (S: LuaState) => {
    // Redis's redis_math_random: the `%` keeps r below 1.
    const r = (rand.next() % LRAND48_MAX) / LRAND48_MAX;
    switch (lua.lua_gettop(S)) {
      case 0:
        lua.lua_pushnumber(S, r);
        break;
      case 1: {
        const u = checkInt(f, S, 1);
        lauxlib.luaL_argcheck(S, 1 <= u, 1, f.to_luastring("interval is empty"));
        lua.lua_pushnumber(S, Math.floor(r * u) + 1);
        break;
      }
      case 2: {
        const l = checkInt(f, S, 1);
        const u = checkInt(f, S, 2);
        lauxlib.luaL_argcheck(S, l <= u, 2, f.to_luastring("interval is empty"));
        lua.lua_pushnumber(S, Math.floor(r * (u - l + 1)) + l);
        break;
      }
      default:
        return lauxlib.luaL_error(S, f.to_luastring("wrong number of arguments"));
    }
    return 1;
  });
  lua.lua_setfield(L, -2, f.to_luastring("random"));
  lua.lua_pushjsfunction(L, (S: LuaState) => {
    rand.seed(checkInt(f, S, 1));
    return 0;
  });
  lua.lua_setfield(L, -2, f.to_luastring("randomseed"));
  lua.lua_pop(L, 1);
}
