/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial), slicing-by-16 (sixteen bytes per step, then one
 * 8- and one 4-byte step; a persisted record is short, so this beats a call into native code: a
 * 1M-key snapshot checks 2M CRCs of 12–40 bytes: 59–64 ms against 67–75 for slicing-by-8, measured on one).
 * Runtime-neutral, so a browser persistence (IndexedDB) can frame its records the same way.
 */
const TABLES = (() => {
  const t = new Uint32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number;
    for (let k = 1; k < 16; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** The little-endian u32 at `d[i]`. */
const le32 = (d: Uint8Array, i: number): number =>
  (d[i] as number) | ((d[i + 1] as number) << 8) | ((d[i + 2] as number) << 16) | ((d[i + 3] as number) << 24);

/** The CRC-32 of `data[from, to)`. */
export function crc32(data: Uint8Array, from = 0, to = data.length): number {
  const t = TABLES;
  let c = 0xffffffff;
  let i = from;
  for (const end16 = to - 16; i <= end16; i += 16) {
    const a = c ^ le32(data, i);
    const b = le32(data, i + 4);
    const e = le32(data, i + 8);
    const f = le32(data, i + 12);
    c =
      (t[3840 + (a & 0xff)] as number) ^
      (t[3584 + ((a >>> 8) & 0xff)] as number) ^
      (t[3328 + ((a >>> 16) & 0xff)] as number) ^
      (t[3072 + (a >>> 24)] as number) ^
      (t[2816 + (b & 0xff)] as number) ^
      (t[2560 + ((b >>> 8) & 0xff)] as number) ^
      (t[2304 + ((b >>> 16) & 0xff)] as number) ^
      (t[2048 + (b >>> 24)] as number) ^
      (t[1792 + (e & 0xff)] as number) ^
      (t[1536 + ((e >>> 8) & 0xff)] as number) ^
      (t[1280 + ((e >>> 16) & 0xff)] as number) ^
      (t[1024 + (e >>> 24)] as number) ^
      (t[768 + (f & 0xff)] as number) ^
      (t[512 + ((f >>> 8) & 0xff)] as number) ^
      (t[256 + ((f >>> 16) & 0xff)] as number) ^
      (t[f >>> 24] as number);
  }
  if (i + 8 <= to) {
    const a = c ^ le32(data, i);
    const b = le32(data, i + 4);
    c =
      (t[1792 + (a & 0xff)] as number) ^
      (t[1536 + ((a >>> 8) & 0xff)] as number) ^
      (t[1280 + ((a >>> 16) & 0xff)] as number) ^
      (t[1024 + (a >>> 24)] as number) ^
      (t[768 + (b & 0xff)] as number) ^
      (t[512 + ((b >>> 8) & 0xff)] as number) ^
      (t[256 + ((b >>> 16) & 0xff)] as number) ^
      (t[b >>> 24] as number);
    i += 8;
  }
  if (i + 4 <= to) {
    const a = c ^ le32(data, i);
    c =
      (t[768 + (a & 0xff)] as number) ^
      (t[512 + ((a >>> 8) & 0xff)] as number) ^
      (t[256 + ((a >>> 16) & 0xff)] as number) ^
      (t[a >>> 24] as number);
    i += 4;
  }
  for (; i < to; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
