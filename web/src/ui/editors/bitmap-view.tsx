import { useEffect, useState } from "preact/hooks";
import { execute, integerOf } from "../../api/raw-reply.js";
import { formatCount } from "../../model/format.js";
import { errorText, useConsole } from "../context.js";
import { useThrottled } from "./view-kit.js";

/** Bytes per page of the grid: 1,024 bits, 32 rows of 32. */
export const BITMAP_PAGE_BYTES = 128;
const ROW_BITS = 32;
/** Live refreshes at most this often (BITCOUNT reads the whole string). */
const REFRESH_MS = 1000;
/** The largest bit offset SETBIT takes (a 512 MiB string). */
const MAX_OFFSET = 2 ** 32 - 1;

/** Bit `i` of `bytes`, counted as Redis does: bit 0 is the most significant bit of byte 0. */
export const bitAt = (bytes: Uint8Array, i: number): number => ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;

/**
 * A string as a bitmap: BITCOUNT of the whole value, a page of its bits as a grid (bit 0 = the
 * most significant bit of byte 0, as SETBIT/GETBIT count), the first set bit (BITPOS), and a bit
 * toggled with SETBIT — a precise change of that one bit (SETBIT replies the bit it replaced: when
 * another client had changed it, the console says so).
 */
export function BitmapView(props: { keyName: string; version: number; onChanged: () => void }) {
  const { clients, readOnly, notify } = useConsole();
  const key = props.keyName;
  const [pageNo, setPageNo] = useState(0);
  const [state, setState] = useState<{ length: number; count: number; bytes: Uint8Array; first: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [goto, setGoto] = useState("");
  const [setOffset, setSetOffset] = useState("");
  const tick = useThrottled(props.version, REFRESH_MS);

  useEffect(() => {
    let alive = true;
    (async () => {
      const start = pageNo * BITMAP_PAGE_BYTES;
      const [len, count, first, page] = await Promise.all([
        clients.strings.strLen({ key }),
        execute(clients, "BITCOUNT", key),
        execute(clients, "BITPOS", key, "1"),
        clients.strings.getRange({ key, start: BigInt(start), end: BigInt(start + BITMAP_PAGE_BYTES - 1) }),
      ]);
      if (!alive) return;
      setState({
        length: Number(len.length),
        count: integerOf(count) ?? 0,
        first: integerOf(first) ?? -1,
        bytes: page.value,
      });
      setError(null);
    })().catch((e) => alive && setError(errorText(e)));
    return () => {
      alive = false;
    };
  }, [key, pageNo, reload, tick]);

  /** SETBIT offset to `to`; `shown` is what the console showed there (null: not shown). */
  const setBit = async (offset: number, to: number, shown: number | null) => {
    try {
      const was = integerOf(await execute(clients, "SETBIT", key, String(offset), String(to)));
      if (shown !== null && was !== shown)
        notify(`Bit ${formatCount(offset)} was already ${was} (another client changed it); it is now ${to}`, "error");
      else notify(`Bit ${formatCount(offset)} set to ${to}`);
      setReload((n) => n + 1);
      props.onChanged();
    } catch (e) {
      notify(errorText(e), "error");
    }
  };

  if (error !== null && state === null)
    return (
      <p class="error" role="alert">
        Could not read the bits: {error}
      </p>
    );
  if (state === null) return <p class="muted">Loading…</p>;
  const pages = Math.max(1, Math.ceil(state.length / BITMAP_PAGE_BYTES));
  const firstBit = pageNo * BITMAP_PAGE_BYTES * 8;
  const bitsShown = state.bytes.length * 8;
  const rows: number[] = [];
  for (let r = 0; r < bitsShown; r += ROW_BITS) rows.push(r);
  let pageCount = 0;
  for (let i = 0; i < bitsShown; i++) pageCount += bitAt(state.bytes, i);
  const go = (bit: number) => setPageNo(Math.max(0, Math.floor(bit / 8 / BITMAP_PAGE_BYTES)));
  return (
    <section class="bitmap-view" aria-label="Bits">
      <p data-testid="bitcount">
        {formatCount(state.count)} of {formatCount(state.length * 8)} bits set (BITCOUNT)
        {state.first >= 0 ? `; first set bit: ${formatCount(state.first)}` : ""}. This page: bits{" "}
        {formatCount(firstBit)}–{formatCount(firstBit + Math.max(bitsShown, 1) - 1)}, {formatCount(pageCount)} set.
      </p>
      <div class="row bitmap-tools">
        <form
          class="row"
          aria-label="Go to a bit"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(goto.trim());
            if (!Number.isInteger(n) || n < 0) return notify("A bit offset is a whole number ≥ 0", "error");
            go(Math.min(n, Math.max(0, state.length * 8 - 1)));
          }}
        >
          <input
            aria-label="Bit offset to show"
            inputMode="numeric"
            placeholder="bit offset"
            value={goto}
            onInput={(e) => setGoto((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit">Go</button>
        </form>
        {state.first >= 0 && (
          <button type="button" onClick={() => go(state.first)}>
            First set bit
          </button>
        )}
      </div>
      {state.length === 0 ? (
        <p class="muted">The value is empty: no bits.</p>
      ) : (
        <table class="bit-grid">
          <caption class="muted">
            Bit 0 is the most significant bit of byte 0, as SETBIT counts.
            {readOnly ? "" : " Click a bit to flip it (SETBIT)."}
          </caption>
          <thead>
            <tr>
              <th scope="col">Bits</th>
              <th scope="col">Values</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r}>
                <th scope="row" class="mono">
                  {formatCount(firstBit + r)}
                </th>
                <td class="bits">
                  {Array.from({ length: Math.min(ROW_BITS, bitsShown - r) }, (_, c) => {
                    const i = r + c;
                    const v = bitAt(state.bytes, i);
                    const offset = firstBit + i;
                    return (
                      <button
                        key={c}
                        type="button"
                        class={v ? "bit on" : "bit"}
                        aria-label={`bit ${offset}: ${v}`}
                        aria-pressed={v === 1}
                        disabled={readOnly}
                        onClick={() => void setBit(offset, v ? 0 : 1, v)}
                      >
                        {v}
                      </button>
                    );
                  })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Bit pages">
        <button type="button" disabled={pageNo === 0} onClick={() => setPageNo(pageNo - 1)}>
          ← Previous
        </button>
        <span>
          Page {formatCount(pageNo + 1)} of {formatCount(pages)}
        </span>
        <button type="button" disabled={pageNo + 1 >= pages} onClick={() => setPageNo(pageNo + 1)}>
          Next →
        </button>
      </nav>
      {!readOnly && (
        <form
          class="row"
          aria-label="Set a bit"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget as HTMLFormElement;
            const to = Number((form.elements.namedItem("bit-value") as HTMLSelectElement).value);
            const n = Number(setOffset.trim());
            if (!Number.isInteger(n) || n < 0 || n > MAX_OFFSET)
              return notify(`A bit offset is a whole number from 0 to ${formatCount(MAX_OFFSET)}`, "error");
            void setBit(n, to, null).then(() => setSetOffset(""));
          }}
        >
          <input
            aria-label="Bit offset to set"
            inputMode="numeric"
            placeholder="bit offset"
            value={setOffset}
            onInput={(e) => setSetOffset((e.currentTarget as HTMLInputElement).value)}
          />
          <select name="bit-value" aria-label="Bit value">
            <option value="1">1</option>
            <option value="0">0</option>
          </select>
          <button type="submit">SETBIT</button>
          {(() => {
            const n = Number(setOffset.trim());
            return Number.isInteger(n) && n >= state.length * 8 && setOffset.trim() !== "" ? (
              <span class="muted">grows the value to {formatCount(Math.floor(n / 8) + 1)} bytes (zero-filled)</span>
            ) : null;
          })()}
        </form>
      )}
    </section>
  );
}
