import { useState } from "preact/hooks";
import { command } from "../../../shared/client/index.js";
import { ListEnd } from "../../../shared/gen/memorabilia/v1/lists_service_pb.js";
import type { Command } from "../../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { preview, toHex } from "../model/bytes.js";
import { ALL_VIEWS, type BytesDraft, bytesOf, ELEMENT_VIEWS } from "../model/bytes-draft.js";
import { KEY_TYPES, typeName } from "../model/format.js";
import { BytesField } from "./bytes-field.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";

/** The columns of one element of each container type (a score is a number, the rest bytes). */
const COLUMNS: Record<number, readonly { name: string; number?: boolean }[]> = {
  [KeyType.LIST]: [{ name: "Element" }],
  [KeyType.HASH]: [{ name: "Field" }, { name: "Value" }],
  [KeyType.SET]: [{ name: "Member" }],
  [KeyType.ZSET]: [{ name: "Member" }, { name: "Score", number: true }],
};

/** TTL units: milliseconds per unit. */
const UNITS: readonly [string, number][] = [
  ["seconds", 1000],
  ["minutes", 60_000],
  ["hours", 3_600_000],
  ["days", 86_400_000],
  ["milliseconds", 1],
];

const empty = (): BytesDraft => ({ mode: "text", text: "" });
const emptyRow = (type: KeyType): BytesDraft[] => (COLUMNS[type] ?? []).map(empty);

/** A score as typed: a number, `inf`, `+inf` or `-inf`. */
function parseScore(typed: string, row: number): number {
  const t = typed.trim().toLowerCase();
  if (t === "inf" || t === "+inf") return Number.POSITIVE_INFINITY;
  if (t === "-inf") return Number.NEGATIVE_INFINITY;
  const n = Number(t);
  if (t === "" || Number.isNaN(n)) throw new Error(`the score of element ${row + 1} must be a number`);
  return n;
}

/** Throws when two elements name the same field or member (one would silently replace the other). */
function refuseDuplicates(values: readonly Uint8Array[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    const id = toHex(v);
    if (seen.has(id)) throw new Error(`${what} “${preview(v, 60)}” is given twice`);
    seen.add(id);
  }
}

/**
 * Creates a key of any type with its first value and an optional TTL, in one transaction that
 * runs only while the name is free (never merged into or over an existing key). Values and
 * elements are bytes, typed as text or hex (a string also as JSON), one row per element (an
 * element with a line break is typed in hex); the TTL takes a unit.
 */
export function CreateKeyDialog(props: { onClose: () => void; onCreated: (key: string) => void }) {
  const { clients, notify } = useConsole();
  const [key, setKey] = useState("");
  const [type, setType] = useState<KeyType>(KeyType.STRING);
  const [value, setValue] = useState<BytesDraft>(empty());
  const [rows, setRows] = useState<BytesDraft[][]>([]);
  const [ttl, setTtl] = useState("");
  const [unit, setUnit] = useState(1000);
  const [error, setError] = useState<string | null>(null);
  const columns = COLUMNS[type] ?? [];

  const changeType = (t: KeyType) => {
    setType(t);
    setRows(t === KeyType.STRING ? [] : [emptyRow(t)]);
  };

  const create = async () => {
    const name = key;
    if (!name) throw new Error("The key needs a name");
    const amount = ttl.trim() === "" ? 0 : Number(ttl);
    if (!(amount >= 0) || !Number.isFinite(amount)) throw new Error("The TTL must be a positive number");
    const ttlMs = BigInt(Math.round(amount * unit));
    if (amount > 0 && ttlMs < 1n) throw new Error("The TTL must be at least 1 millisecond");
    if (type !== KeyType.STRING && rows.length === 0) throw new Error("Give at least one element");
    const cells = rows.map((r) => r.map((d, c) => (columns[c]?.number ? d : bytesOf(d))));
    const bytesAt = (c: number) => cells.map((r) => r[c] as Uint8Array);
    const commands: Command[] = [];
    switch (type) {
      case KeyType.STRING:
        commands.push(
          command("set", {
            key: name,
            value: bytesOf(value),
            ...(ttlMs > 0n ? { expiry: { case: "ttlMs", value: ttlMs } } : {}),
          }),
        );
        break;
      case KeyType.LIST:
        commands.push(command("push", { key: name, end: ListEnd.RIGHT, elements: bytesAt(0) }));
        break;
      case KeyType.HASH:
        refuseDuplicates(bytesAt(0), "field");
        commands.push(
          command("hSet", {
            key: name,
            fields: cells.map((r) => ({ field: r[0] as Uint8Array, value: r[1] as Uint8Array })),
          }),
        );
        break;
      case KeyType.SET:
        refuseDuplicates(bytesAt(0), "member");
        commands.push(command("sAdd", { key: name, members: bytesAt(0) }));
        break;
      case KeyType.ZSET:
        refuseDuplicates(bytesAt(0), "member");
        commands.push(
          command("zAdd", {
            key: name,
            members: rows.map((r, i) => ({
              member: bytesOf(r[0] as BytesDraft),
              score: parseScore((r[1] as BytesDraft).text, i),
            })),
          }),
        );
        break;
    }
    if (type !== KeyType.STRING && ttlMs > 0n) {
      commands.push(command("expire", { key: name, when: { case: "ttlMs", value: ttlMs } }));
    }
    // One transaction, only while the name is free: never merged into or over an existing key.
    const res = await clients.transaction.exec({
      commands,
      preconditions: [{ key: name, check: { case: "missing", value: true } }],
    });
    if (!res.committed) throw new Error(`${name} exists already`);
    return name;
  };

  return (
    <Dialog id="create-key" title="New key" onClose={props.onClose}>
      <form
        class="form"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const name = await create();
            notify(`Created ${name}`);
            props.onCreated(name);
          } catch (err) {
            setError(errorText(err));
          }
        }}
      >
        <label>
          Key name
          <input required value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Type
          <select
            value={String(type)}
            onChange={(e) => changeType(Number((e.currentTarget as HTMLSelectElement).value) as KeyType)}
          >
            {KEY_TYPES.map((t) => (
              <option key={t} value={String(t)}>
                {typeName(t)}
              </option>
            ))}
          </select>
        </label>
        {type === KeyType.STRING ? (
          <BytesField
            label="The value"
            multiline
            views={ALL_VIEWS}
            draft={value}
            onDraft={setValue}
            onError={(m) => setError(m)}
          />
        ) : (
          <fieldset class="new-elements">
            <legend>Elements</legend>
            {rows.map((r, i) => (
              <div key={i} class="new-element">
                {r.map((d, c) => (
                  <BytesField
                    key={columns[c]?.name}
                    label={`${columns[c]?.name} ${i + 1}`}
                    placeholder={columns[c]?.name.toLowerCase()}
                    views={columns[c]?.number ? ["text"] : ELEMENT_VIEWS}
                    draft={d}
                    onDraft={(next) =>
                      setRows(rows.map((row, j) => (j === i ? row.map((x, k) => (k === c ? next : x)) : row)))
                    }
                    onError={(m) => setError(m)}
                  />
                ))}
                <button
                  type="button"
                  class="danger-outline"
                  aria-label={`Remove element ${i + 1}`}
                  disabled={rows.length === 1}
                  onClick={() => setRows(rows.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </div>
            ))}
            <button type="button" onClick={() => setRows([...rows, emptyRow(type)])}>
              + Add element
            </button>
          </fieldset>
        )}
        <div class="row">
          <label>
            TTL (optional)
            <input
              inputMode="decimal"
              value={ttl}
              onInput={(e) => setTtl((e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <label>
            Unit
            <select
              value={String(unit)}
              onChange={(e) => setUnit(Number((e.currentTarget as HTMLSelectElement).value))}
            >
              {UNITS.map(([n, ms]) => (
                <option key={n} value={String(ms)}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row end">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}
