/**
 * A "set oneof case only" field list for protobuf-es's binary writer.
 *
 * `toBinary` walks `ReflectMessage.sortedFields` and asks `isSet` of every field. For
 * `CommandResult` (and `Command`) that is ~100 oneof members per message, of which at most one
 * can be set: 2-3 µs per result of a Batch or Pipeline. The members of a oneof other than its
 * selected case are never set, so skipping them writes the same bytes. For a message with one
 * large oneof, `sortedFields` here returns the fields outside the oneof plus the selected case
 * only (in field-number order, as before), kept once per descriptor and case. `toJSON` is the
 * only other reader in protobuf-es 2.13: it also skips unset fields with explicit presence, which
 * all oneof members have, so its output is unchanged too (both checked in the test).
 */
import type { DescField, DescMessage, DescOneof } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { EmptySchema } from "@bufbuild/protobuf/wkt";

/** Oneofs smaller than this keep the stock list (the saving would not pay for the lookup). */
const MIN_ONEOF_FIELDS = 8;
/** `FeatureSet.FieldPresence.EXPLICIT`: the only presence a oneof member has. */
const EXPLICIT = 1;

/** Per descriptor: the oneof to prune and, per selected case (or none), the fields to walk. */
interface Plan {
  readonly oneof: DescOneof;
  readonly byCase: ReadonlyMap<string | undefined, readonly DescField[]>;
}

const plans = new WeakMap<DescMessage, Plan | null>();

function planOf(desc: DescMessage): Plan | null {
  let plan = plans.get(desc);
  if (plan === undefined) {
    plan = null;
    const oneof = desc.oneofs.length === 1 ? desc.oneofs[0] : undefined;
    if (
      oneof !== undefined &&
      oneof.fields.length >= MIN_ONEOF_FIELDS &&
      oneof.fields.every((f) => f.presence === EXPLICIT && f.oneof === oneof)
    ) {
      const sorted = desc.fields.concat().sort((a, b) => a.number - b.number);
      const keep = (selected: string | undefined) =>
        sorted.filter((f) => f.oneof !== oneof || f.localName === selected);
      const byCase = new Map<string | undefined, readonly DescField[]>([[undefined, keep(undefined)]]);
      for (const f of oneof.fields) byCase.set(f.localName, keep(f.localName));
      plan = { oneof, byCase };
    }
    plans.set(desc, plan);
  }
  return plan;
}

interface Reflected {
  readonly desc: DescMessage;
  readonly message: Record<string, unknown>;
}

let stock: ((this: Reflected) => readonly DescField[]) | undefined;

function sortedFields(this: Reflected): readonly DescField[] {
  const plan = planOf(this.desc);
  const value = plan === null ? undefined : (this.message[plan.oneof.localName] as { case?: unknown } | undefined);
  // Anything unexpected (a malformed message) gets the stock list, so protobuf-es reports it as before.
  const fields = plan === null || value === undefined ? undefined : plan.byCase.get(value.case as string | undefined);
  return fields ?? (stock as (this: Reflected) => readonly DescField[]).call(this);
}

/** Installs the pruned `sortedFields` on protobuf-es's reflection class (idempotent). */
export function installProtobufSetFields(): void {
  const proto = Object.getPrototypeOf(reflect(EmptySchema)) as object;
  const current = Object.getOwnPropertyDescriptor(proto, "sortedFields");
  if (current?.get === sortedFields) return;
  if (typeof current?.get !== "function") throw new TypeError("protobuf-es: ReflectMessage.sortedFields not found");
  stock = current.get as (this: Reflected) => readonly DescField[];
  Object.defineProperty(proto, "sortedFields", { ...current, get: sortedFields });
}
