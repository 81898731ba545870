// The state every admin form dialog keeps: the form, its errors (which
// follow the typing once a first attempt failed, so they disappear when
// fixed), and the busy/failure state of sending it.
import { type FormEvent, useState } from "react";

export function useFormDialog<F, E extends object>(initial: F, validate: (f: F) => E) {
  const [form, setForm] = useState<F>(initial);
  const [errors, setErrors] = useState<E>({} as E);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  function update(patch: Partial<F>) {
    const next = { ...form, ...patch };
    setForm(next);
    if (submitted) setErrors(validate(next));
  }

  /**
   * Validates; with errors, focuses the element focusFor names and stops.
   * Otherwise sends; the dialog stays busy until its owner closes it, and
   * a refusal is shown in it.
   */
  async function submit(e: FormEvent, focusFor: (errs: E) => string | undefined, send: () => Promise<void>) {
    e.preventDefault();
    setSubmitted(true);
    const errs = validate(form);
    setErrors(errs);
    if (Object.keys(errs).length > 0) {
      const id = focusFor(errs);
      if (id) document.getElementById(id)?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      await send();
    } catch (err) {
      setFailure(err);
      setBusy(false);
    }
  }

  return { form, errors, busy, failure, update, submit };
}
