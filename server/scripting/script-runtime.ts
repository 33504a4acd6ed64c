/**
 * The Lua runtime of EVAL: one Lua state for the server (as Redis has one), the scripts compiled
 * once and kept by their SHA1, and the sandbox Redis gives them — the `redis` library, `KEYS` and
 * `ARGV`, the libraries Redis loads (base, table, string, math, cjson, cmsgpack, bit), globals
 * read-only, and a time limit.
 *
 * A script runs synchronously inside its command, so it is atomic as in Redis. Unlike Redis,
 * which keeps running a slow script and answers everyone else BUSY until SCRIPT KILL, a script
 * here runs on the server's only thread: past `timeLimitMs` it is stopped with an error (writes
 * it made before stand, as a killed Redis script's would if Redis allowed killing it then).
 */
import { createHash } from "node:crypto";
import type { Bytes } from "../../shared/store/bytes.js";
import { bytesToArray } from "../../shared/store/bytes.js";
import { StoreError } from "../../shared/store/errors.js";
import { type Reply, Status } from "../../shared/store/reply.js";
import { type Fengari, fengari, type LuaState } from "./lua.js";
import { openScriptLibraries } from "./lua-libraries.js";
import { floatNumerals } from "./lua-numerals.js";
import { openRedisRandom, Rand48 } from "./lua-random.js";
import { formatLuaNumber, LuaValues } from "./lua-values.js";

/**
 * How a script's `redis.call` / `redis.pcall` reaches the store: runs one command, throws
 * {@link StoreError} for a command error (the script sees it). Any other exception — an engine's
 * internal signal such as the etcd engine's request for a remote read — stops the script where it
 * is, past `pcall`, and leaves {@link ScriptRuntime.run} as that same exception.
 */
export type ScriptCommand = (argv: Bytes[]) => Reply;

/** Options of {@link ScriptRuntime}. */
export interface ScriptRuntimeOptions {
  /** A script running longer is stopped with an error (Redis's busy-reply-threshold). */
  readonly timeLimitMs: number;
  /** The clock the limit is measured on (ms). */
  readonly now?: () => number;
  /** Longest string `string.rep` may build (the store's longest value). */
  readonly maxStringBytes: number;
  /** Where `redis.log` writes. */
  readonly log?: (level: number, message: string) => void;
}

/** Redis's error handler: a table `{err, source, line}` from any error, source and line from the running script (Redis's own, which finds that frame at a fixed level: its guards are C functions). */
const ERROR_HANDLER = `
local dbg = debug
debug = nil
function __redis__err__handler(err)
  -- The innermost frame of the user's script (errors raised by JavaScript functions and by the
  -- set-up code's metamethods and wrappers name where the script called them).
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and i.source ~= '@user_script' do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
`;

/**
 * A script stopped for its time limit must not catch that with pcall/xpcall and go on: both
 * re-raise the stop once it has happened (`stop` is a JavaScript function, see setUp).
 */
const UNCATCHABLE_STOP = `
local pcall_, xpcall_, stop = pcall, xpcall, __redis__stop_if_killed
pcall = function (...) return stop(pcall_(...)) end
xpcall = function (...) return stop(xpcall_(...)) end
__redis__stop_if_killed = nil
`;

/**
 * Globals and the libraries' tables become read-only, and reading an undefined global is an
 * error, as in Redis 7 (which flags the tables read-only in C; here each library is a read-only
 * view of its table, and the metatables cannot be replaced).
 */
const PROTECT_GLOBALS = `
local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function () error('Attempt to modify a readonly table', 2) end,
    __pairs = function () return next, t, nil end,
    __len = function () return #t end,
    __metatable = false,
  })
end
for _, name in ipairs({'string', 'table', 'math', 'redis', 'cjson', 'cmsgpack', 'bit'}) do
  _G[name] = readonly(_G[name])
end
local mt = {__metatable = false}
setmetatable(_G, mt)
mt.__newindex = function (t, n, v)
  error('Attempt to modify a readonly table', 2)
end
mt.__index = function (t, n)
  error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
end
`;

/** Numbers handed to scripts are floats (Lua 5.1 had only doubles); tonumber too, so arithmetic never wraps at 32 bits. */
const FLOAT_NUMBERS = `
local tonumber_ = tonumber
local mathtype = math.type
tonumber = function (...)
  local n = tonumber_(...)
  if mathtype(n) == 'integer' then return n + 0.0 end
  return n
end
unpack = table.unpack
local rep, maxlen = string.rep, __redis__max_string
__redis__max_string = nil
string.rep = function (s, n, sep)
  if type(n) == 'number' and n > 1 and (#tostring(s) + #tostring(sep or '')) * n > maxlen then
    error('resulting string too large (past --max-value-bytes)', 2)
  end
  return rep(s, n, sep)
end
`;

/** A compiled script's registry name, as Redis names it. */
function functionName(sha: string): string {
  return `f_${sha}`;
}

/** SHA1 of a script body, lower-case hex (the EVALSHA name). */
export function scriptSha(body: Bytes): string {
  return createHash("sha1").update(bytesToArray(body)).digest("hex");
}

/** One Lua state with the scripts loaded into it. */
export class ScriptRuntime {
  private readonly f: Fengari;
  private readonly L: LuaState;
  private readonly values: LuaValues;
  private readonly scripts = new Set<string>();
  private readonly now: () => number;
  /** Lua strings every run uses, converted once. */
  private readonly names: Record<"scripts" | "errorHandler" | "chunk" | "keys" | "argv", Uint8Array>;
  /** The command runner of the script running now (undefined between scripts). */
  private command: ScriptCommand | undefined;
  private deadline = 0;
  private running = "";
  /** Set once the running script passed its time limit, or must stop for an {@link escaped} exception. */
  private killed = false;
  /** A non-command exception thrown by a `redis.call`, rethrown by `run` once the script has stopped. */
  private escaped: { readonly error: unknown } | undefined;
  /** math.random's generator (Redis's rand48; restored when a script leaves by an escaped exception). */
  private readonly rand = new Rand48();

  constructor(private readonly options: ScriptRuntimeOptions) {
    this.f = fengari();
    this.now = options.now ?? Date.now;
    this.values = new LuaValues(this.f);
    const name = (text: string) => this.f.to_luastring(text);
    this.names = {
      scripts: name("__redis__scripts"),
      errorHandler: name("__redis__err__handler"),
      chunk: name("@user_script"),
      keys: name("KEYS"),
      argv: name("ARGV"),
    };
    this.L = this.f.lauxlib.luaL_newstate();
    this.setUp();
  }

  /** Number of cached scripts. */
  get size(): number {
    return this.scripts.size;
  }

  /** True when a script with this SHA1 is cached. */
  has(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  /** Forgets every cached script (SCRIPT FLUSH). */
  flush(): void {
    this.scripts.clear();
    this.newScriptTable();
  }

  /** An empty registry table for the compiled scripts (replacing the old one drops its functions). */
  private newScriptTable(): void {
    const { lua } = this.f;
    lua.lua_createtable(this.L, 0, 0);
    lua.lua_setfield(this.L, lua.LUA_REGISTRYINDEX, this.names.scripts);
  }

  /** Compiles `body` (if new) and returns its SHA1. Throws Redis's compile error. */
  load(body: Bytes): string {
    const sha = scriptSha(body);
    if (this.scripts.has(sha)) return sha;
    const { lua, lauxlib } = this.f;
    const L = this.L;
    const code = floatNumerals(bytesToArray(body));
    if (lauxlib.luaL_loadbuffer(L, code, code.length, this.names.chunk) !== lua.LUA_OK) {
      const message = this.values.bytesAt(L, -1, 4096);
      lua.lua_settop(L, 0);
      throw new StoreError("ERR", `ERR Error compiling script (new function): ${message}`);
    }
    this.scriptTable();
    lua.lua_pushvalue(L, -2);
    lua.lua_setfield(L, -2, this.f.to_luastring(functionName(sha)));
    lua.lua_settop(L, 0);
    this.scripts.add(sha);
    return sha;
  }

  /**
   * Runs the cached script `sha` with KEYS and ARGV; its `redis.call`s go to `command`. Returns
   * its reply; throws NOSCRIPT when it is not cached and Redis's error texts for script errors.
   */
  run(sha: string, keys: readonly Bytes[], args: readonly Bytes[], command: ScriptCommand): Reply {
    const { lua } = this.f;
    const L = this.L;
    if (this.command !== undefined) throw new StoreError("ERR", "ERR This Redis command is not allowed from script");
    const name = functionName(sha.toLowerCase());
    lua.lua_settop(L, 0);
    lua.lua_getglobal(L, this.names.errorHandler);
    this.scriptTable();
    if (lua.lua_getfield(L, -1, this.f.to_luastring(name)) !== lua.LUA_TFUNCTION) {
      lua.lua_settop(L, 0);
      throw new StoreError("ERR", "NOSCRIPT No matching script. Please use EVAL.");
    }
    lua.lua_remove(L, -2); // the scripts table
    this.setArray(this.names.keys, keys);
    this.setArray(this.names.argv, args);
    this.command = command;
    this.running = name;
    this.deadline = this.now() + this.options.timeLimitMs;
    this.killed = false;
    this.escaped = undefined;
    const randomState = this.rand.save();
    lua.lua_sethook(L, () => this.checkTime(), lua.LUA_MASKCOUNT, 100_000);
    try {
      const status = lua.lua_pcall(L, 0, 1, 1);
      // (Set by redisCall during the pcall: TypeScript cannot see that.)
      const escaped = this.escaped as { readonly error: unknown } | undefined;
      if (escaped !== undefined) {
        // The same run happens again from the start: it draws the same random numbers.
        this.rand.restore(randomState);
        throw escaped.error;
      }
      if (status !== lua.LUA_OK) throw this.scriptError();
      return this.values.toReply(L, -1);
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      this.command = undefined;
      this.escaped = undefined;
      lua.lua_settop(L, 0);
    }
  }

  private checkTime(): void {
    if (!this.killed && this.now() <= this.deadline) return;
    this.killed = true;
    this.raiseKilled();
  }

  private raiseKilled(): never {
    const { lua } = this.f;
    this.values.pushErrorTable(
      this.L,
      `ERR Script killed after running for more than ${this.options.timeLimitMs} ms (lua-time-limit): ` +
        "the server serves nobody else while a script runs; writes it made before stand",
    );
    return lua.lua_error(this.L);
  }

  /** The error at the top of the stack (the handler's table) as Redis words it. */
  private scriptError(): StoreError {
    const { lua } = this.f;
    const L = this.L;
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
      const what = lua.lua_type(L, -1) === lua.LUA_TSTRING ? this.values.bytesAt(L, -1, 100) : "execution failure";
      return new StoreError("ERR", `ERR Error running script ${this.running}, ${what}`);
    }
    const field = (name: string): string | undefined => {
      const t = lua.lua_getfield(L, -1, this.f.to_luastring(name));
      // Clipped: a script may raise an error of any size.
      const v = t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER ? this.values.bytesAt(L, -1, 4096) : undefined;
      lua.lua_pop(L, 1);
      return v;
    };
    const message = field("err") ?? "ERR unknown error";
    const source = field("source");
    const line = field("line");
    const where =
      source !== undefined && line !== undefined ? ` script: ${this.running.slice(2)}, on ${source}:${line}.` : "";
    return new StoreError("ERR", `${message}${where}`);
  }

  /** Pushes the registry table holding the compiled scripts. */
  private scriptTable(): void {
    const { lua } = this.f;
    lua.lua_getfield(this.L, lua.LUA_REGISTRYINDEX, this.names.scripts);
  }

  /** Sets global `name` to an array of byte strings (past the read-only guard: rawset on _G). */
  private setArray(name: Uint8Array, items: readonly Bytes[]): void {
    const { lua } = this.f;
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_pushstring(L, name);
    lua.lua_createtable(L, items.length, 0);
    for (let i = 0; i < items.length; i++) {
      this.values.pushBytes(L, items[i] as Bytes);
      lua.lua_rawseti(L, -2, i + 1);
    }
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }

  /** `redis.call` (raise) and `redis.pcall` (return the error table). */
  private redisCall(L: LuaState, raise: boolean): number {
    const { lua } = this.f;
    const n = lua.lua_gettop(L);
    const fail = (message: string): number => {
      this.values.pushErrorTable(L, message);
      if (raise) lua.lua_error(L);
      return 1;
    };
    if (n === 0) return fail("ERR Please specify at least one argument for this redis lib call");
    const argv: Bytes[] = [];
    for (let i = 1; i <= n; i++) {
      const t = lua.lua_type(L, i);
      if (t === lua.LUA_TSTRING) argv.push(this.values.bytesAt(L, i));
      else if (t === lua.LUA_TNUMBER) argv.push(formatLuaNumber(lua.lua_tonumber(L, i)));
      else return fail("ERR Lua redis lib command arguments must be strings or integers");
    }
    const command = this.command;
    if (command === undefined) return fail("ERR redis.call is only available while a script runs");
    let reply: Reply;
    try {
      reply = command(argv);
    } catch (error) {
      if (!(error instanceof StoreError)) {
        // Not the command's answer: stop the script uncatchably (as the time limit does) and let
        // `run` rethrow it to whoever runs the command.
        this.escaped = { error };
        this.killed = true;
        return lua.lua_error(L);
      }
      return fail(error.message);
    }
    lua.lua_settop(L, 0);
    this.values.pushReply(L, reply);
    return 1;
  }

  private setUp(): void {
    const f = this.f;
    const { lua, lauxlib, lualib } = f;
    const L = this.L;
    const open = (name: string, fn: (L: LuaState) => number) => {
      lauxlib.luaL_requiref(L, f.to_luastring(name), fn, 1);
      lua.lua_pop(L, 1);
    };
    open("_G", lualib.luaopen_base);
    open("table", lualib.luaopen_table);
    open("string", lualib.luaopen_string);
    open("math", lualib.luaopen_math);
    openRedisRandom(f, L, this.rand);
    open("debug", lualib.luaopen_debug);
    // What Redis removes from base: file access and loading code from outside.
    for (const name of ["loadfile", "dofile", "print"]) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, f.to_luastring(name));
    }
    openScriptLibraries(f, L, this.values);
    lua.lua_pushnumber(L, this.options.maxStringBytes);
    lua.lua_setglobal(L, f.to_luastring("__redis__max_string"));
    // A JavaScript error inside the VM (an allocation that failed: RangeError) fails the script
    // like any Lua error instead of escaping the VM.
    lua.lua_atnativeerror(L, (S) => {
      const error = lua.lua_touserdata(S, -1);
      this.values.pushErrorTable(S, `ERR ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    });
    lua.lua_pushjsfunction(L, (S) => {
      if (this.killed) this.raiseKilled();
      return lua.lua_gettop(S);
    });
    lua.lua_setglobal(L, f.to_luastring("__redis__stop_if_killed"));
    this.setUpRedis();
    this.newScriptTable();
    for (const code of [FLOAT_NUMBERS, UNCATCHABLE_STOP, ERROR_HANDLER, PROTECT_GLOBALS]) this.runChunk(code);
  }

  private setUpRedis(): void {
    const f = this.f;
    const { lua } = f;
    const L = this.L;
    lua.lua_createtable(L, 0, 16);
    const fn = (name: string, body: (L: LuaState) => number) => {
      lua.lua_pushjsfunction(L, body);
      lua.lua_setfield(L, -2, f.to_luastring(name));
    };
    fn("call", (S) => this.redisCall(S, true));
    fn("pcall", (S) => this.redisCall(S, false));
    fn("error_reply", (S) => {
      const message = lua.lua_type(S, 1) === lua.LUA_TSTRING ? this.values.bytesAt(S, 1) : "";
      lua.lua_settop(S, 0);
      this.values.pushErrorTable(S, message.startsWith("-") ? message.slice(1) : message);
      return 1;
    });
    fn("status_reply", (S) => {
      const text = lua.lua_type(S, 1) === lua.LUA_TSTRING ? this.values.bytesAt(S, 1) : "";
      lua.lua_settop(S, 0);
      this.values.pushReply(S, new Status(text));
      return 1;
    });
    fn("sha1hex", (S) => {
      const body = lua.lua_type(S, 1) === lua.LUA_TSTRING ? this.values.bytesAt(S, 1) : "";
      lua.lua_settop(S, 0);
      this.values.pushBytes(S, scriptSha(body));
      return 1;
    });
    fn("log", (S) => {
      const level = lua.lua_tonumber(S, 1);
      const parts: string[] = [];
      for (let i = 2; i <= lua.lua_gettop(S); i++) parts.push(this.values.bytesAt(S, i));
      this.options.log?.(level, parts.join(" "));
      return 0;
    });
    fn("setresp", () => 0);
    fn("set_repl", () => 0);
    fn("replicate_commands", (S) => {
      lua.lua_pushboolean(S, true);
      return 1;
    });
    for (const [name, value] of [
      ["LOG_DEBUG", 0],
      ["LOG_VERBOSE", 1],
      ["LOG_NOTICE", 2],
      ["LOG_WARNING", 3],
      ["REPL_NONE", 0],
      ["REPL_AOF", 1],
      ["REPL_SLAVE", 2],
      ["REPL_REPLICA", 2],
      ["REPL_ALL", 3],
    ] as const) {
      lua.lua_pushinteger(L, value);
      lua.lua_setfield(L, -2, f.to_luastring(name));
    }
    lua.lua_setglobal(L, f.to_luastring("redis"));
  }

  private runChunk(code: string): void {
    const { lua, lauxlib } = this.f;
    const bytes = this.f.to_luastring(code);
    if (
      lauxlib.luaL_loadbuffer(this.L, bytes, bytes.length, this.f.to_luastring("=redis_setup")) !== lua.LUA_OK ||
      lua.lua_pcall(this.L, 0, 0, 0) !== lua.LUA_OK
    ) {
      throw new Error(`Lua set-up failed: ${this.values.bytesAt(this.L, -1)}`);
    }
  }
}
