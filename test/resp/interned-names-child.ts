/**
 * Child of resp-interned-names.test.ts, run with `--allow-natives-syntax`: prints, as JSON, for
 * each decoder path, whether the command name it produced is a V8-internalized string (the same
 * map as a literal's), which is what makes the store's name check one pointer compare.
 */

import { latin1 } from "../../server/resp/latin1.js";
import { RespParser } from "../../server/resp/resp-parser.js";
import { argvFromArrays } from "../../shared/store/command-names.js";

declare function sameMap(a: unknown, b: unknown): boolean;
// `%HaveSameMap` is V8 syntax, not JavaScript: built at run time so the file still parses as TS.
const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as typeof sameMap;
/** Internalized one-byte strings share one map: a literal's. */
const internalized = (s: unknown): boolean => haveSameMap(s, "LITERAL");

const limits = { maxArgs: 64, maxBulkBytes: 1 << 20, maxRequestBytes: 1 << 20 };
const firstName = (chunks: string[]): string => {
  const p = new RespParser(() => limits);
  let argv: string[] | undefined;
  for (const c of chunks) {
    p.push(Buffer.from(c, "latin1"));
    argv ??= p.next();
  }
  return (argv as string[])[0] as string;
};
const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");
const frame = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

const out = {
  control: internalized(latin1(Buffer.from("GET"), 0, 3)),
  whole: internalized(firstName([frame])),
  wholeLower: internalized(firstName([frame.replace("GET", "get")])),
  split: internalized(firstName([frame.slice(0, 9), frame.slice(9)])),
  inline: internalized(firstName(["lpush k v\r\n"])),
  mixed: internalized(firstName([frame.replace("GET", "gEt")])),
  execute: internalized(argvFromArrays([bytes("INCRBY"), bytes("k"), bytes("1")])[0]),
  executeValue: internalized(argvFromArrays([bytes("GET"), bytes("GET")])[1]),
};
console.log(JSON.stringify(out));
