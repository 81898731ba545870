// The state of one chart form: values, field errors, add vs. edit, saving.
import { useState } from "react";
import type { Resource } from "../../api/fhir";
import { errorText } from "../../components/ErrorPanel";
import { FormError } from "./builders";
import type { ChartList } from "./useChart";

export interface EntryForm<V extends Record<string, string>> {
  values: V;
  set(field: keyof V, value: string): void;
  /** Field errors, and "form" for a failed save. */
  errors: Partial<Record<keyof V | "form", string>>;
  busy: boolean;
  /** The last confirmation ("Saved …"), for a polite live region. */
  status: string;
  editing: Resource | null;
  submit(): Promise<void>;
  edit(r: Resource, values: V): void;
  cancel(): void;
}

export function useEntryForm<V extends Record<string, string>>(
  empty: V,
  list: ChartList,
  build: (values: V, base?: Resource) => Resource,
  savedText: (values: V) => string,
): EntryForm<V> {
  const [values, setValues] = useState<V>(empty);
  const [errors, setErrors] = useState<EntryForm<V>["errors"]>({});
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [editing, setEditing] = useState<Resource | null>(null);

  async function submit() {
    let res: Resource;
    try {
      res = build(values, editing ?? undefined);
    } catch (e) {
      if (e instanceof FormError) {
        setErrors({ [e.field]: e.message } as EntryForm<V>["errors"]);
        return;
      }
      throw e;
    }
    setErrors({});
    setBusy(true);
    try {
      await list.save(res);
      setStatus(`${editing ? "Updated" : "Saved"}: ${savedText(values)}`);
      setValues(empty);
      setEditing(null);
    } catch (e) {
      setErrors({ form: `Not saved. ${errorText(e)}` } as EntryForm<V>["errors"]);
    } finally {
      setBusy(false);
    }
  }

  return {
    values,
    set: (field, value) => {
      setValues((v) => ({ ...v, [field]: value }));
      setErrors((er) => (er[field] ? { ...er, [field]: undefined } : er));
    },
    errors,
    busy,
    status,
    editing,
    submit,
    edit: (r, v) => {
      setEditing(r);
      setValues(v);
      setErrors({});
      setStatus("");
    },
    cancel: () => {
      setEditing(null);
      setValues(empty);
      setErrors({});
    },
  };
}
