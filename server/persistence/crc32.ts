/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial), slicing-by-8 (eight bytes per step; a persisted
 * record is short, so this beats a call into native code). Runtime-neutral, so a browser
 * persistence (IndexedDB) can frame its records the same way.
 */
const TABLES = (() => {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** The CRC-32 of `data[from, to)`. */
export function crc32(data: Uint8Array, from = 0, to = data.length): number {
  const t = TABLES;
  let c = 0xffffffff;
  let i = from;
  for (const end8 = to - 8; i <= end8; i += 8) {
    const a =
      c ^
      ((data[i] as number) |
        ((data[i + 1] as number) << 8) |
        ((data[i + 2] as number) << 16) |
        ((data[i + 3] as number) << 24));
    c =
      (t[1792 + (a & 0xff)] as number) ^
      (t[1536 + ((a >>> 8) & 0xff)] as number) ^
      (t[1280 + ((a >>> 16) & 0xff)] as number) ^
      (t[1024 + (a >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
  }
  if (i + 4 <= to) {
    const a =
      c ^
      ((data[i] as number) |
        ((data[i + 1] as number) << 8) |
        ((data[i + 2] as number) << 16) |
        ((data[i + 3] as number) << 24));
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
