/**
 * The parser's one-pass path for whole commands (RespParser#whole) against its state machine:
 * every input, well-formed or not, parsed from one read and fed one byte per read (which never
 * takes the one-pass path) gives the same commands, then the same error or the same wait.
 */
import { describe, expect, it } from "vitest";
import { latin1 } from "./latin1.js";
import { RespParser, type RespParserLimits, RespProtocolError } from "./resp-parser.js";

const LIMITS: RespParserLimits = { maxArgs: 64, maxBulkBytes: 1000, maxRequestBytes: 4000 };

/** The commands parsed from `chunks`, then the error message or "more" (waiting for bytes). */
function parse(chunks: Buffer[], unauthenticated = false): (string[] | string)[] {
  const p = new RespParser(() => LIMITS);
  p.unauthenticated = unauthenticated;
  const out: (string[] | string)[] = [];
  try {
    for (const c of chunks) {
      p.push(c);
      for (let argv = p.next(); argv !== undefined; argv = p.next()) out.push(argv);
    }
  } catch (error) {
    if (!(error instanceof RespProtocolError)) throw error;
    out.push(`error: ${error.message}`);
    return out;
  }
  out.push(p.buffered > 0 ? "more" : "done");
  return out;
}

const whole = (s: Buffer) => parse([s]);
const bytewise = (s: Buffer) => parse([...s].map((b) => Buffer.from([b])));
const bin = (s: string) => Buffer.from(s, "latin1");

describe("RESP parser: the one-pass path agrees with the state machine", () => {
  const cases: [name: string, input: string][] = [
    ["GET", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"],
    ["empty argument", "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n"],
    ["pipelined", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$4\r\nPING\r\n"],
    [
      "every byte",
      `*2\r\n$4\r\nECHO\r\n$256\r\n${latin1(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 0, 256)}\r\n`,
    ],
    ["lengths 0..40", Array.from({ length: 41 }, (_, n) => `*1\r\n$${n}\r\n${"x".repeat(n)}\r\n`).join("")],
    [
      "names of one length alternate (the last name is reused only when equal)",
      "*1\r\n$3\r\nGET\r\n*1\r\n$3\r\nSET\r\n*1\r\n$3\r\nSET\r\n*1\r\n$3\r\nGEU\r\n*1\r\n$3\r\nGET\r\n*1\r\n$0\r\n\r\n",
    ],
    ["*0 then a command", "*0\r\n*1\r\n$4\r\nPING\r\n"],
    ["inline after multibulk", "*1\r\n$4\r\nPING\r\nPING\r\n"],
    ["the bytes after a body are not checked (Redis)", "*1\r\n$4\r\nPINGxy*1\r\n$4\r\nPING\r\n"],
    ["leading zero count", "*01\r\n$4\r\nPING\r\n"],
    ["leading zero length", "*1\r\n$04\r\nPING\r\n"],
    ["-0 length", "*1\r\n$-0\r\n"],
    ["+1 count", "*+1\r\n$4\r\nPING\r\n"],
    ["negative length", "*1\r\n$-1\r\n"],
    ["negative count", "*-1\r\n*1\r\n$4\r\nPING\r\n"],
    ["count past maxArgs", "*65\r\n"],
    ["count of ten digits", "*1000000000\r\n"],
    ["length past maxBulkBytes", "*1\r\n$1001\r\n"],
    ["length of ten digits", "*1\r\n$1000000000\r\n"],
    ["request past maxRequestBytes", `*5\r\n${"$1000\r\n".concat("y".repeat(1000), "\r\n").repeat(5)}`],
    ["':' instead of '$'", "*1\r\n:4\r\nPING\r\n"],
    ["letters in a length", "*1\r\n$4x\r\nPING\r\n"],
    ["CR without LF", "*1\r\n$4\rxPING\r\n"],
    ["truncated count", "*2"],
    ["truncated length", "*2\r\n$3\r\nGET\r\n$1"],
    ["truncated body", "*2\r\n$3\r\nGET\r\n$10\r\nabc"],
    ["body without its CRLF yet", "*1\r\n$4\r\nPING"],
  ];
  for (const [name, input] of cases) {
    it(name, () => {
      const buf = bin(input);
      const a = whole(buf);
      expect(a).toEqual(bytewise(buf));
    });
  }

  it("arguments are the exact bytes, at every length (the short-string decoder and toString agree)", () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    for (let n = 0; n <= 300; n++) {
      const input = Buffer.concat([bin(`*1\r\n$${n}\r\n`), bytes.subarray(0, n), bin("\r\n")]);
      const [argv] = whole(input) as [string[]];
      expect(argv[0]).toBe(bytes.toString("latin1", 0, n));
    }
  });

  it("unauthenticated bounds apply on both paths", () => {
    for (const input of ["*11\r\n", `*1\r\n$${16 * 1024 + 1}\r\n`, "*10\r\n"]) {
      const buf = bin(input);
      expect(parse([buf], true)).toEqual(
        parse(
          [...buf].map((b) => Buffer.from([b])),
          true,
        ),
      );
    }
  });

  it("seeded random inputs: split at random points or whole, the same commands and errors", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const pieces = ["*", "$", "\r\n", "\r", "\n", "0", "1", "2", "3", "12", "-1", "GET", "PING", "x", "+", " "];
    for (let round = 0; round < 3000; round++) {
      let input = "";
      // Mostly well-formed commands, with a corrupted piece now and then.
      for (let c = rand(4); c >= 0; c--) {
        const argc = 1 + rand(3);
        input += `*${argc}\r\n`;
        for (let a = 0; a < argc; a++) {
          const body = "k".repeat(rand(30));
          input += `$${body.length}\r\n${body}\r\n`;
        }
        if (rand(5) === 0) {
          const at = rand(input.length);
          input = input.slice(0, at) + (pieces[rand(pieces.length)] as string) + input.slice(at + rand(2));
        }
      }
      const buf = bin(input);
      const cuts: Buffer[] = [];
      for (let at = 0; at < buf.length; ) {
        const next = Math.min(buf.length, at + 1 + rand(12));
        cuts.push(buf.subarray(at, next));
        at = next;
      }
      const expected = bytewise(buf);
      expect(whole(buf), JSON.stringify(input)).toEqual(expected);
      expect(parse(cuts), JSON.stringify(input)).toEqual(expected);
    }
  });
});

describe("RESP parser: command names are the bytes sent, interned or not", () => {
  // Names the table holds (GET, get, GETEX), near misses (prefix, extension, mixed case, a byte
  // past ASCII, a NUL), a long one; each after each, so the last-name reuse meets every change.
  const names = [
    "GET",
    "get",
    "gEt",
    "GE",
    "GETX",
    "GETEX",
    "getex",
    "G\xc9T",
    "GET\x00",
    "SET",
    "set",
    "x".repeat(40),
    "GET",
  ];

  it("whole, byte by byte and inline", () => {
    let input = "";
    let inline = "";
    for (const name of names) {
      input += `*2\r\n$${name.length}\r\n${name}\r\n$1\r\nk\r\n`;
      if (!/[\x00\s]/.test(name)) inline += `${name} k\r\n`;
    }
    const expected = names.map((name) => [name, "k"]);
    expect(whole(bin(input))).toEqual([...expected, "done"]);
    expect(bytewise(bin(input))).toEqual([...expected, "done"]);
    const inlineExpected = names.filter((name) => !/[\x00\s]/.test(name)).map((name) => [name, "k"]);
    expect(whole(bin(inline))).toEqual([...inlineExpected, "done"]);
  });
});
