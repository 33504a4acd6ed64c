import { describe, expect, it } from "vitest";
import { type CommandSpec, commandKeys } from "./command.js";
import { createCommandTable } from "./commands.js";
import { formatHumanCoordinate } from "./geohash.js";
import { createTestStore, plainError as error, runPlain } from "./testing.js";

/*
 * Geo commands, table-driven from Redis 7.0's documentation (its Sicily examples) and errors; the
 * random differential against redis-server is test/redis-compat/geo-differential.test.ts.
 */

const SICILY = ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"];

describe("geo replies (table)", () => {
  const cases: [name: string, commands: string[][], expected: unknown][] = [
    ["GEOADD counts new members", [SICILY], 2],
    ["GEODIST in meters", [SICILY, ["GEODIST", "Sicily", "Palermo", "Catania"]], "166274.1516"],
    ["GEODIST in km", [SICILY, ["GEODIST", "Sicily", "Palermo", "Catania", "km"]], "166.2742"],
    ["GEODIST in miles", [SICILY, ["GEODIST", "Sicily", "Palermo", "Catania", "MI"]], "103.3182"],
    ["GEODIST of a missing member", [SICILY, ["GEODIST", "Sicily", "Palermo", "Nope"]], null],
    [
      "GEODIST bad unit",
      [SICILY, ["GEODIST", "Sicily", "Palermo", "Catania", "yd"]],
      error("ERR unsupported unit provided. please use M, KM, FT, MI"),
    ],
    [
      "GEOPOS",
      [SICILY, ["GEOPOS", "Sicily", "Palermo", "Nope"]],
      [["13.36138933897018433", "38.11555639549629859"], null],
    ],
    ["GEOHASH", [SICILY, ["GEOHASH", "Sicily", "Palermo", "Catania"]], ["sqc8b49rny0", "sqdtr74hyu0"]],
    [
      "GEOSEARCH BYRADIUS ASC WITHDIST",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST"]],
      [
        ["Catania", "56.4413"],
        ["Palermo", "190.4424"],
      ],
    ],
    [
      "GEOSEARCH BYBOX COUNT",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "DESC", "COUNT", "1"]],
      ["Palermo"],
    ],
    [
      "GEOSEARCH FROMMEMBER WITHCOORD",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "WITHCOORD"]],
      [["Palermo", ["13.36138933897018433", "38.11555639549629859"]]],
    ],
    [
      "GEOSEARCH needs a center",
      [SICILY, ["GEOSEARCH", "Sicily", "BYRADIUS", "1", "m", "ASC", "WITHDIST"]],
      error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
    ],
    [
      "GEOSEARCH needs a shape",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "ASC", "WITHDIST", "WITHHASH"]],
      error("ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
    ],
    [
      "GEOSEARCH ANY needs COUNT",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "ANY"]],
      error("ERR the ANY argument requires COUNT argument"),
    ],
    [
      "GEOSEARCH COUNT 0",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "COUNT", "0"]],
      error("ERR COUNT must be > 0"),
    ],
    [
      "GEOSEARCH unknown member",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMMEMBER", "Rome", "BYRADIUS", "1", "m"]],
      error("ERR could not decode requested zset member"),
    ],
    [
      "GEOSEARCH negative radius",
      [SICILY, ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "-1", "m"]],
      error("ERR radius cannot be negative"),
    ],
    ["GEOSEARCH missing key", [["GEOSEARCH", "nope", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "m"]], []],
    [
      "GEOSEARCHSTORE",
      [
        SICILY,
        ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        ["ZRANGE", "d", "0", "-1"],
      ],
      ["Palermo", "Catania"],
    ],
    [
      "GEOSEARCHSTORE refuses WITHDIST",
      [SICILY, ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"]],
      error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    ],
    [
      "GEOADD outside the Mercator latitudes",
      [["GEOADD", "g", "10", "86", "m"]],
      error("ERR invalid longitude,latitude pair 10.000000,86.000000"),
    ],
    ["GEOADD NX and XX", [["GEOADD", "g", "NX", "XX", "10", "10", "m"]], error("ERR syntax error")],
    [
      "GEOADD on a string",
      [
        ["SET", "g", "x"],
        ["GEOADD", "g", "10", "10", "m"],
      ],
      error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    ],
    ["GEOADD CH counts changes", [SICILY, ["GEOADD", "Sicily", "CH", "13.5", "38", "Palermo"]], 1],
  ];
  for (const [name, commands, expected] of cases) {
    it(name, () => {
      expect(runPlain(createTestStore(), ...commands)).toEqual(expected);
    });
  }
});

describe("geo formatting", () => {
  it("prints coordinates as %.17Lf with trailing zeros removed", () => {
    expect(formatHumanCoordinate(0.5)).toBe("0.5");
    expect(formatHumanCoordinate(-180)).toBe("-180");
    expect(formatHumanCoordinate(0.1)).toBe("0.10000000000000001");
  });

  it("GEOADD notifies zadd; GEOSEARCHSTORE notifies geosearchstore", () => {
    const t = createTestStore();
    t.ok(...SICILY);
    t.ok("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST");
    expect(t.events.map((e) => `${e.event}:${e.key}`)).toEqual(["zadd:Sicily", "geosearchstore:d"]);
  });
});

describe("GEORADIUS and GEORADIUSBYMEMBER (deprecated, as Redis 7.0)", () => {
  const table = createCommandTable();
  const keysOf = (...argv: string[]) => commandKeys(table.get(argv[0] as string) as CommandSpec, argv);

  it("declare STORE's and STOREDIST's key (locks, key-pattern tokens), the _RO forms refuse them", () => {
    expect(keysOf("GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "3", "STORE", "d1", "STOREDIST", "d2")).toEqual([
      "g",
      "d1",
      "d2",
    ]);
    expect(keysOf("GEORADIUSBYMEMBER", "g", "m", "1", "km", "WITHDIST")).toEqual(["g"]);
    const t = createTestStore();
    t.ok(...SICILY);
    expect(runPlain(t, ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d"])).toEqual(
      error("ERR syntax error"),
    );
  });

  it("answer as GEOSEARCH, store with georadiusstore, and check STORE against WITH*", () => {
    const t = createTestStore();
    t.ok(...SICILY);
    expect(runPlain(t, ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "ASC", "WITHDIST"])).toEqual([
      ["Palermo", "0.0000"],
      ["Catania", "166.2742"],
    ]);
    expect(runPlain(t, ["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC", "STORE", "d"])).toBe(2);
    expect(t.events.map((e) => `${e.event}:${e.key}`)).toEqual(["zadd:Sicily", "georadiusstore:d"]);
    expect(runPlain(t, ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "STORE", "d"])).toEqual(
      error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    // A missing key answers before BYMEMBER's radius and unit are read.
    expect(runPlain(t, ["GEORADIUSBYMEMBER", "nokey", "m", "x", "parsec"])).toEqual([]);
    expect(runPlain(t, ["GEORADIUS", "nokey", "15", "37", "1", "parsec"])).toEqual(
      error("ERR unsupported unit provided. please use M, KM, FT, MI"),
    );
  });
});
