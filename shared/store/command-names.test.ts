/**
 * Interned command names (command-names.ts): interning is an optimisation only, so every byte
 * sequence must decode to the string its bytes make, interned or not; only the spellings the
 * table holds (as registered and lower case) come back interned, never a prefix, an extension, a
 * mixed case or a near miss of one.
 */
import { describe, expect, it } from "vitest";
import { bytesFromArray } from "./bytes.js";
import { argvFromArrays, builtInCommandNames, CommandNameTable } from "./command-names.js";
import { ALL_COMMANDS } from "./commands.js";
import { createStore } from "./store.js";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** `s` inside other bytes, so a lookup that reads past its range would see them. */
const framed = (s: string): [Uint8Array, number] => [bytes(`GETSET${s}GET`), 6];

describe("CommandNameTable", () => {
  const table = builtInCommandNames();

  it("finds every built-in command as registered and in lower case, and nothing else of it", () => {
    // Mismatches collected, one expect at the end (an expect per lookup costs seconds).
    const wrong: string[] = [];
    const names = new Set(ALL_COMMANDS.flatMap((c) => [c.name, c.name.toLowerCase()]));
    for (const { name } of ALL_COMMANDS) {
      for (const spelling of [name, name.toLowerCase()]) {
        const [buf, at] = framed(spelling);
        if (table.find(buf, at, spelling.length) !== spelling) wrong.push(spelling);
      }
      // Mixed case, prefixes and extensions are not interned (they decode as sent).
      const mixed = name.slice(0, 1).toLowerCase() + name.slice(1);
      for (const near of [mixed, name.slice(0, -1), `${name}X`, `${name}\x00`, ` ${name}`, `${name.toLowerCase()}\r`]) {
        if (!names.has(near) && table.find(bytes(near), 0, near.length) !== undefined) wrong.push(near);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("never returns a string other than the bytes' own (random names, random frames)", () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = "GETSLPUHINCRABDgetslpuhincrabd\x00\xc7\xe7 \r\n";
    const wrong: string[] = [];
    let found = 0;
    for (let round = 0; round < 5000; round++) {
      let s = "";
      if (random(2) === 0) {
        // A real spelling, then as often as not one change: a letter's case, a byte, one less, one more.
        const spec = ALL_COMMANDS[random(ALL_COMMANDS.length)] as (typeof ALL_COMMANDS)[number];
        s = random(2) === 0 ? spec.name : spec.name.toLowerCase();
        const i = random(s.length);
        const c = alphabet[random(alphabet.length)] as string;
        const change = random(8);
        if (change === 0) s = s.slice(0, i) + (s[i] as string).toLowerCase() + s.slice(i + 1);
        else if (change === 1) s = s.slice(0, i) + (s[i] as string).toUpperCase() + s.slice(i + 1);
        else if (change === 2) s = s.slice(0, i) + c + s.slice(i + 1);
        else if (change === 3) s = s.slice(0, -1);
        else if (change === 4) s += c;
      } else for (let i = random(9); i > 0; i--) s += alphabet[random(alphabet.length)];
      const length = s.length;
      const [buf, at] = framed(s);
      const name = table.find(buf, at, length);
      if (name !== undefined && name !== s) wrong.push(s);
      if (name !== undefined) found++;
    }
    expect(wrong).toEqual([]);
    expect(found).toBeGreaterThan(0); // the alphabet does spell names
  });

  it("interns a table's own names (a custom command) and refuses empty, overlong and non-byte ones", () => {
    const custom = new CommandNameTable(["gEt", "", "x".repeat(33), "\u0100AB", "12", "Zap"]);
    expect(custom.find(bytes("gEt"), 0, 3)).toBe("gEt");
    expect(custom.find(bytes("get"), 0, 3)).toBe("get");
    expect(custom.find(bytes("GET"), 0, 3)).toBeUndefined(); // only what the table names
    expect(custom.find(bytes("zap"), 0, 3)).toBe("zap");
    expect(custom.find(bytes(""), 0, 0)).toBeUndefined();
    expect(custom.find(bytes("x".repeat(33)), 0, 33)).toBeUndefined();
    expect(custom.find(bytes("12"), 0, 2)).toBeUndefined();
    expect(custom.intern("Zap")).toBe("Zap");
    expect(custom.intern("ZAP")).toBe("ZAP");
    expect(custom.intern("")).toBe("");
  });
});

describe("argvFromArrays (CommandService.Execute's decoder)", () => {
  it("decodes exactly as bytesFromArray does, name included", () => {
    const cases: Uint8Array[][] = [
      [],
      [bytes("")],
      [bytes("GET"), bytes("k")],
      [bytes("gEt"), bytes("k")],
      [bytes("GETX"), bytes("\xff\x00")],
      [bytes("get"), new Uint8Array(100).fill(0xc3)],
      [new Uint8Array([0xc3, 0xa9]), bytes("v")],
    ];
    for (const args of cases) expect(argvFromArrays(args)).toEqual(args.map(bytesFromArray));
  });

  it("runs what the store runs for each spelling (a custom gEt shadows every case but GET)", () => {
    const commands = [
      ...ALL_COMMANDS,
      {
        ...(ALL_COMMANDS.find((c) => c.name === "GET") as (typeof ALL_COMMANDS)[number]),
        name: "gEt",
        handler: () => "custom",
      },
    ];
    const store = createStore({ commands });
    store.run(["SET", "k", "v"]);
    expect(store.run(argvFromArrays([bytes("GET"), bytes("k")]))).toBe("v");
    for (const name of ["get", "gEt", "Get", "GEt"])
      expect(store.run(argvFromArrays([bytes(name), bytes("k")]))).toBe("custom");
    expect(() => store.run(argvFromArrays([bytes("GE"), bytes("k")]))).toThrow(/unknown command 'GE'/);
    expect(() => store.run(argvFromArrays([bytes("GETX"), bytes("k")]))).toThrow(/unknown command 'GETX'/);
  });
});
