import { useState } from "preact/hooks";
import { command } from "../../../shared/client/index.js";
import { ListEnd } from "../../../shared/gen/memorabilia/v1/lists_service_pb.js";
import type { Command } from "../../../shared/gen/memorabilia/v1/transaction_service_pb.js";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { utf8 } from "../model/bytes.js";
import { KEY_TYPES, typeName } from "../model/format.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";

const HINTS: Record<number, string> = {
  [KeyType.STRING]: "The value",
  [KeyType.LIST]: "Elements, one per line",
  [KeyType.HASH]: "field=value, one per line",
  [KeyType.SET]: "Members, one per line",
  [KeyType.ZSET]: "score member, one per line",
};

/** Creates a key of any type with a first value and an optional TTL; refuses to overwrite. */
export function CreateKeyDialog(props: { onClose: () => void; onCreated: (key: string) => void }) {
  const { clients, notify } = useConsole();
  const [key, setKey] = useState("");
  const [type, setType] = useState<KeyType>(KeyType.STRING);
  const [value, setValue] = useState("");
  const [ttl, setTtl] = useState("");
  const [error, setError] = useState<string | null>(null);

  const create = async () => {
    const name = key;
    if (!name) throw new Error("The key needs a name");
    const seconds = ttl.trim() === "" ? 0 : Number(ttl);
    if (!(seconds >= 0)) throw new Error("The TTL must be a number of seconds");
    const lines = value.split("\n").filter((l) => l !== "");
    if (type !== KeyType.STRING && lines.length === 0) throw new Error("Give at least one element");
    const ttlMs = BigInt(Math.round(seconds * 1000));
    const commands: Command[] = [];
    switch (type) {
      case KeyType.STRING:
        commands.push(
          command("set", {
            key: name,
            value: utf8(value),
            ...(seconds > 0 ? { expiry: { case: "ttlMs", value: ttlMs } } : {}),
          }),
        );
        break;
      case KeyType.LIST:
        commands.push(command("push", { key: name, end: ListEnd.RIGHT, elements: lines.map(utf8) }));
        break;
      case KeyType.HASH:
        commands.push(
          command("hSet", {
            key: name,
            fields: lines.map((l) => {
              const at = l.indexOf("=");
              if (at < 0) throw new Error(`"${l}" is not field=value`);
              return { field: utf8(l.slice(0, at)), value: utf8(l.slice(at + 1)) };
            }),
          }),
        );
        break;
      case KeyType.SET:
        commands.push(command("sAdd", { key: name, members: lines.map(utf8) }));
        break;
      case KeyType.ZSET:
        commands.push(
          command("zAdd", {
            key: name,
            members: lines.map((l) => {
              const m = /^\s*(\S+)\s+(.*)$/.exec(l);
              const score = Number(m?.[1]);
              if (!m || Number.isNaN(score)) throw new Error(`"${l}" is not "score member"`);
              return { member: utf8(m[2] as string), score };
            }),
          }),
        );
        break;
    }
    if (type !== KeyType.STRING && seconds > 0) {
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
            onChange={(e) => setType(Number((e.currentTarget as HTMLSelectElement).value) as KeyType)}
          >
            {KEY_TYPES.map((t) => (
              <option key={t} value={String(t)}>
                {typeName(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {HINTS[type]}
          <textarea
            class="mono"
            value={value}
            onInput={(e) => setValue((e.currentTarget as HTMLTextAreaElement).value)}
          />
        </label>
        <label>
          TTL in seconds (optional)
          <input inputMode="decimal" value={ttl} onInput={(e) => setTtl((e.currentTarget as HTMLInputElement).value)} />
        </label>
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
