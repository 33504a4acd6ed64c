/**
 * Lua scripting (EVAL & co., server/scripting) against Redis 7.0 itself: the same scripts, sent
 * over RESP to the bundled server and to a `redis-server` (Debian's; `.ci/run` installs it), must
 * give byte-identical replies — errors included, with Redis's "script: <sha>, on @user_script:N."
 * suffix. Then what only this server does: a script that never ends is stopped at
 * `--lua-time-limit-ms` (also when it catches errors with pcall) while other clients wait, and
 * ioredis's `defineCommand` (EVALSHA, then EVAL on NOSCRIPT) works unchanged.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useRespAndRedis } from "../support/resp-and-redis.js";
import { type RawReply, RawRespClient } from "../support/resp-raw.js";

const servers = useRespAndRedis(["--lua-time-limit-ms", "300"]);
let ours: RawRespClient;
let theirs: RawRespClient;

beforeAll(async () => {
  [ours, theirs] = await servers.both((port) => RawRespClient.open(port));
}, 60_000);

afterAll(() => {
  ours?.socket.destroy();
  theirs?.socket.destroy();
});

type Cmd = (string | Buffer)[];

/** Scripts (with the commands around them) whose replies must match Redis's exactly. */
const CASES: Record<string, Cmd[]> = {
  // One generator per server, never reseeded between scripts: both servers are fresh here.
  "math.random is Redis's rand48: the same numbers, seeds and errors": [
    ["EVAL", "return {math.random(1000000), math.random(1000000), tostring(math.random()), math.random(5, 10)}", "0"],
    ["EVAL", "return math.random(2.7)", "0"],
    ["EVAL", "math.randomseed(42); return {math.random(1000000), tostring(math.random())}", "0"],
    ["EVAL", "math.randomseed(-7); return math.random(-5, 5)", "0"],
    ["EVAL", "return math.random(0)", "0"],
    ["EVAL", "return math.random(3000000000)", "0"],
    ["EVAL", "return math.random(1, 2, 3)", "0"],
    ["EVAL", "return math.random(10, 1)", "0"],
    ["EVAL", "return math.random(1000000)", "0"],
  ],
  "integer, bulk, nil and nested replies; arrays stop at the first nil": [
    ["EVAL", "return 1", "0"],
    ["EVAL", "return {1,2,3.7,'x',nil,5}", "0"],
    ["EVAL", "return {1,{2,{3}},{ok='x'}}", "0"],
    ["EVAL", "return true", "0"],
    ["EVAL", "return false", "0"],
    ["EVAL", "return", "0"],
    ["EVAL", "return 3.99", "0"],
    ["EVAL", "return -3.99", "0"],
    ["EVAL", "return 2^63", "0"],
    ["EVAL", "return {ok=1}", "0"],
    ["EVAL", "return {err=1}", "0"],
  ],
  "status and error replies": [
    ["EVAL", "return {err='My Error'}", "0"],
    ["EVAL", "return redis.error_reply('bad thing')", "0"],
    ["EVAL", "return redis.status_reply('FINE')", "0"],
    ["EVAL", "return {1,2,{err='inner'}}", "0"],
    ["EVAL", "return redis.call('PING')", "0"],
  ],
  "KEYS and ARGV, numkeys errors": [
    ["EVAL", "return KEYS[1] .. ARGV[1] .. #KEYS .. #ARGV", "1", "a", "b"],
    ["EVAL", "return {KEYS[1], KEYS[2], ARGV[1]}", "2", "k1", "k2", "a1"],
    ["EVAL", "return 1", "-1"],
    ["EVAL", "return 1", "5", "a"],
    ["EVAL", "return 1", "x"],
  ],
  "redis.call and redis.pcall errors": [
    ["SET", "s", "abc"],
    ["EVAL", "return redis.call('INCR', KEYS[1])", "1", "s"],
    ["EVAL", "return redis.pcall('INCR', KEYS[1])", "1", "s"],
    ["EVAL", "local r = redis.pcall('INCR', KEYS[1]) return type(r) .. r['err']", "1", "s"],
    ["EVAL", "return redis.call('nosuch')", "0"],
    ["EVAL", "return redis.pcall('nosuch')", "0"],
    ["EVAL", "return redis.call('GET')", "0"],
    ["EVAL", "return redis.call()", "0"],
    ["EVAL", "return redis.call('SET','k',{})", "0"],
    ["EVAL", "return redis.call('EVAL','return 1',0)", "0"],
    ["EVAL", "error('boom')", "0"],
    ["EVAL", "error({err='TABLEERR x'})", "0"],
    ["EVAL", "local a = 1\nlocal b = 2\nreturn redis.call('LPUSH', 's', 'x')", "0"],
  ],
  "globals are read-only, undefined globals are errors": [
    ["EVAL", "x = 1", "0"],
    ["EVAL", "return y", "0"],
    ["EVAL", "string.foo = 1 return 1", "0"],
    ["EVAL", "local t = {} t.x = 1 return t.x", "0"],
  ],
  "numbers as command arguments (%.17g), numbers from replies": [
    ["EVAL", "return redis.call('SET','k',1.5)", "0"],
    ["GET", "k"],
    ["EVAL", "redis.call('SET','k',3.0) return redis.call('GET','k')", "0"],
    ["EVAL", "redis.call('SET','k',1e20) return redis.call('GET','k')", "0"],
    ["EVAL", "redis.call('SET','k',0.1+0.2) return redis.call('GET','k')", "0"],
    ["EVAL", "redis.call('SET','k',1/3) return redis.call('GET','k')", "0"],
    ["EVAL", "redis.call('SET','k',2^53+1) return redis.call('GET','k')", "0"],
    ["EVAL", "redis.call('SET','n',10) return redis.call('INCRBY','n',5) + 0.5", "0"],
    ["EVAL", "return tostring(3.0) .. ' ' .. 7/2 .. ' ' .. tostring(1700000000000)", "0"],
    ["EVAL", "return tonumber('2000000000') + tonumber('2000000000')", "0"],
    ["EVAL", "return string.format('%d %s %.2f', 5, 'x', 1.005)", "0"],
    // Every numeral is a double, as in Lua 5.1 (BullMQ's priority score: p * 0x100000000 + n % 0x100000000).
    ["EVAL", "return {tostring(0x100000000), tostring(2147483647 + 1), 3 * 0x100000000 + 7 % 0x100000000}", "0"],
    ["EVAL", "local t = {10, 20, 30} local s = 0 for i = 1, #t do s = s + t[i] end return s .. ' ' .. 7 / 2", "0"],
  ],
  "types of replies seen by the script": [
    ["DEL", "h", "l", "z"],
    ["HSET", "h", "f", "v"],
    ["RPUSH", "l", "a", "b"],
    ["ZADD", "z", "1.5", "m"],
    ["EVAL", "return redis.call('HGETALL','h')", "0"],
    ["EVAL", "return redis.call('LRANGE','l',0,-1)", "0"],
    ["EVAL", "return redis.call('ZRANGE','z',0,-1,'WITHSCORES')", "0"],
    ["EVAL", "return tostring(redis.call('GET','nosuch'))", "0"],
    ["EVAL", "return type(redis.call('LLEN','l'))", "0"],
    ["EVAL", "local k = redis.call('KEYS','*') table.sort(k) return k", "0"],
  ],
  "EVALSHA, SCRIPT LOAD/EXISTS/FLUSH": [
    ["SCRIPT", "FLUSH"],
    ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    ["SCRIPT", "LOAD", "return 1"],
    ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
    ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "abc"],
    ["SCRIPT", "FLUSH"],
    ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
    ["SCRIPT", "KILL"],
    ["SCRIPT", "foo"],
    ["EVAL", "return redis.sha1hex('')", "0"],
  ],
  "EVAL_RO refuses writes": [
    ["EVAL_RO", "return redis.call('SET','a','1')", "0"],
    ["EVAL_RO", "return redis.call('GET','s')", "0"],
    ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
  ],
  "bytes pass through unchanged": [
    ["EVAL", "return ARGV[1]", "0", Buffer.from([0, 0xff, 0x80, 0x0a, 0xe9])],
    [
      "EVAL",
      "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('STRLEN', KEYS[1])",
      "1",
      Buffer.from([0xc3]),
      Buffer.from([0, 0xff]),
    ],
    ["GET", Buffer.from([0xc3])],
    ["EVAL", "return string.len(ARGV[1]) .. string.byte(ARGV[1], 2)", "0", Buffer.from([0x00, 0xfe])],
  ],
  "cjson, cmsgpack, bit, unpack": [
    ["EVAL", "return cjson.encode({1,2,'x',{a=1}})", "0"],
    ["EVAL", "return cjson.encode({})", "0"],
    ["EVAL", "return cjson.decode('[1,2,\"x\"]')", "0"],
    ["EVAL", "return cjson.decode('{\"a\":[1,2]}').a", "0"],
    ["EVAL", 'return cjson.encode(cjson.decode(\'{"a":"\\\\u00e9/"}\'))', "0"],
    ["EVAL", "return cmsgpack.unpack(cmsgpack.pack({1,2,'x'}))", "0"],
    ["EVAL", "return cmsgpack.pack({1,2,'x', 300, -5, 70000})", "0"],
    ["EVAL", "local t = cmsgpack.unpack(cmsgpack.pack({a=5})) return t.a", "0"],
    ["EVAL", "return {bit.band(12, 10), bit.bor(12, 10), bit.bxor(12, 10), bit.lshift(1, 4), bit.tohex(255)}", "0"],
    ["EVAL", "return {unpack({1, 2, 3})}", "0"],
  ],
};

async function both(cmd: Cmd): Promise<[RawReply, RawReply]> {
  return Promise.all([ours.call(...cmd), theirs.call(...cmd)]);
}

describe("scripts reply as Redis 7.0's", () => {
  it.each(Object.entries(CASES))("%s", async (_name, commands) => {
    for (const cmd of commands) {
      const [a, b] = await both(cmd);
      expect(a, `${cmd.map((c) => (typeof c === "string" ? c : `<${c.toString("hex")}>`)).join(" ")}`).toEqual(b);
    }
  });
});

describe("what only a single-threaded server must add", () => {
  it("a script that never ends is stopped at --lua-time-limit-ms; other clients are served after it", async () => {
    const other = await RawRespClient.open(servers.ours.respPort);
    try {
      for (const body of ["while true do end", "while true do pcall(function () while true do end end) end"]) {
        const started = Date.now();
        const reply = (await ours.call("EVAL", body, "0")) as { error: string };
        expect(reply.error).toMatch(/^ERR Script killed after running for more than 300 ms/);
        expect(reply.error).toMatch(/script: [0-9a-f]{40}, on @user_script:1\.$/);
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(await other.call("PING")).toBe("PONG");
      }
    } finally {
      other.socket.destroy();
    }
  });

  it("writes made before the limit stand; the scripts cache keeps working", async () => {
    const reply = (await ours.call("EVAL", "redis.call('SET', KEYS[1], 'done') while true do end", "1", "written")) as {
      error: string;
    };
    expect(reply.error).toMatch(/Script killed/);
    expect(await ours.call("GET", "written")).toBe("done");
    expect(await ours.call("EVAL", "return 7", "0")).toBe(7);
  });

  it("ioredis defineCommand (EVALSHA, then EVAL on NOSCRIPT) works unchanged", async () => {
    const client = new Redis({ port: servers.ours.respPort, lazyConnect: true });
    try {
      client.defineCommand("incrCapped", {
        numberOfKeys: 1,
        lua: "local v = redis.call('INCR', KEYS[1]) if v > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end return v",
      });
      const capped = client as Redis & { incrCapped(key: string, cap: number): Promise<number> };
      await client.del("capped");
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) seen.push(await capped.incrCapped("capped", 2));
      expect(seen).toEqual([1, 2, 2, 2]);
      await client.script("FLUSH");
      expect(await capped.incrCapped("capped", 2)).toBe(2);
    } finally {
      client.disconnect();
    }
  });
});
