import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../shared/store/testing.js";
import { crc32 } from "./crc32.js";
import { frameCrc } from "./frame-crc.js";

describe("crc32", () => {
  it("matches zlib's CRC-32 at every length and offset around its 16-, 8- and 4-byte steps", () => {
    const rnd = seededRandom(32);
    const data = Uint8Array.from({ length: 1200 }, () => Math.floor(rnd() * 256));
    for (let from = 0; from < 9; from++) {
      for (let n = 0; n <= 100; n++) {
        const want = zlibCrc32(data.subarray(from, from + n)) >>> 0;
        expect([from, n, crc32(data, from, from + n)]).toEqual([from, n, want]);
      }
    }
    // frameCrc switches to zlib at 512 bytes: the same value on both sides of the switch.
    for (const n of [511, 512, 513, 1100])
      expect(frameCrc(data, 3, 3 + n)).toBe(zlibCrc32(data.subarray(3, 3 + n)) >>> 0);
  });
});
