import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";

/** The Redis name of a key type (`string`, `list`, `hash`, `set`, `zset`, `stream`). */
export function typeName(type: KeyType): string {
  switch (type) {
    case KeyType.STRING:
      return "string";
    case KeyType.LIST:
      return "list";
    case KeyType.HASH:
      return "hash";
    case KeyType.SET:
      return "set";
    case KeyType.ZSET:
      return "zset";
    case KeyType.STREAM:
      return "stream";
    case KeyType.NONE:
      return "none";
    default:
      return "?";
  }
}

/** The key type of a Redis type name (`TYPE`'s reply); UNSPECIFIED for a name not known here. */
export function typeOfName(name: string): KeyType {
  for (const t of Object.values(KeyType)) if (typeof t === "number" && typeName(t) === name) return t;
  return KeyType.UNSPECIFIED;
}

/** Every concrete key type, in menu order. */
export const KEY_TYPES: readonly KeyType[] = [KeyType.STRING, KeyType.LIST, KeyType.HASH, KeyType.SET, KeyType.ZSET];

/**
 * A time to live for humans: `42s`, `5m 03s`, `2h 10m`, `3d 4h`; `—` for no expiry.
 * Rounds up so a key shows `1s` until its last millisecond.
 */
export function formatTtl(deadline: number | null, now: number): string {
  if (deadline === null) return "—";
  const ms = deadline - now;
  if (ms <= 0) return "expired";
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * Milliseconds from `now` to just past the next whole second: countdowns tick on the clock's
 * seconds, so every cell changes together and a rounded-up TTL never shows a second too long.
 */
export const untilNextSecond = (now: number): number => 1000 - (now % 1000) + 5;

/** A key's size for the size column: bytes for strings, elements otherwise. */
export function formatSize(type: KeyType, size: number): string {
  if (type === KeyType.STRING) return formatBytes(size);
  return `${size.toLocaleString("en")} ${size === 1 ? "item" : "items"}`;
}

/** `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A count with thousands separators. */
export const formatCount = (n: number | bigint): string => Number(n).toLocaleString("en");
