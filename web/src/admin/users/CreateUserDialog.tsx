import { type FormEvent, useState } from "react";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormLabel from "@mui/material/FormLabel";
import MenuItem from "@mui/material/MenuItem";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import TextField from "@mui/material/TextField";
import type { Fhir } from "../../api/fhir";
import { FormDialog } from "../common/FormDialog";
import type { AdminApi, AdminUser, UserRole } from "../api";
import { ResourcePicker } from "../common/ResourcePicker";
import { PasswordField } from "./PasswordField";
import { emptyUserForm, needsRecord, recordTypes, ROLES, toNewUser, type UserErrors, type UserForm, validateUser } from "./validate";
import { useNarrow } from "../common/useNarrow";

export interface CreateUserDialogProps {
  api: AdminApi;
  fhir: Fhir;
  onClose: () => void;
  /** passwordless: a patient who signs in with one-time codes. */
  onCreated: (u: AdminUser, passwordless: boolean) => void;
}

export function CreateUserDialog(props: CreateUserDialogProps) {
  const [form, setForm] = useState<UserForm>(emptyUserForm);
  const [errors, setErrors] = useState<UserErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const fullScreen = useNarrow();

  function update(patch: Partial<UserForm>) {
    const next = { ...form, ...patch };
    setForm(next);
    // After a first attempt, errors follow the typing so they disappear once fixed.
    if (submitted) setErrors(validateUser(next));
  }

  function changeRole(role: UserRole) {
    const keep = form.record === "existing" && recordTypes(role).some((t) => form.fhirResource.startsWith(`${t}/`));
    update({ role, fhirResource: keep ? form.fhirResource : "" });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    const errs = validateUser(form);
    setErrors(errs);
    if (Object.keys(errs).length > 0) {
      const first = (["email", "name", "fhirResource", "password"] as const).find((k) => errs[k]);
      document.getElementById(`user-${first}`)?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      props.onCreated(await props.api.createUser(toNewUser(form)), form.password === "");
    } catch (err) {
      setFailure(err);
      setBusy(false);
    }
  }

  const record = needsRecord(form.role);
  const types = recordTypes(form.role);
  const patient = form.role === "patient";

  return (
    <FormDialog
      id="create-user"
      title="Create user"
      submitLabel="Create user"
      busyLabel="Creating…"
      busy={busy}
      failure={failure}
      fullScreen={fullScreen}
      onSubmit={(e) => void submit(e)}
      onClose={props.onClose}
    >
        <TextField
          id="user-email"
          label="E-mail"
          type="email"
          autoComplete="off"
          required
          fullWidth
          value={form.email}
          onChange={(e) => update({ email: e.target.value })}
          error={Boolean(errors.email)}
          helperText={errors.email || "They sign in with this address."}
        />
        <TextField id="user-role" select label="Role" value={form.role} onChange={(e) => changeRole(e.target.value as UserRole)} fullWidth>
          {ROLES.map((r) => (
            <MenuItem key={r.value} value={r.value}>
              {r.label}
            </MenuItem>
          ))}
        </TextField>
        <FormControl>
          <FormLabel id="user-record-label">Record in the health record</FormLabel>
          <RadioGroup aria-labelledby="user-record-label" value={form.record} onChange={(e) => update({ record: e.target.value as UserForm["record"] })}>
            <FormControlLabel value="new" control={<Radio />} label={record ? `Create a new ${types[0]} record` : "No linked record"} />
            <FormControlLabel value="existing" control={<Radio />} label="Link an existing record" />
          </RadioGroup>
        </FormControl>
        {form.record === "existing" ? (
          <ResourcePicker
            id="user-fhirResource"
            fhir={props.fhir}
            label="Existing record"
            types={types}
            value={form.fhirResource}
            onChange={(v) => update({ fhirResource: v })}
            error={errors.fhirResource}
          />
        ) : null}
        <TextField
          id="user-name"
          label="Name"
          autoComplete="off"
          required={form.record === "new" && record}
          fullWidth
          value={form.name}
          onChange={(e) => update({ name: e.target.value })}
          error={Boolean(errors.name)}
          helperText={errors.name || (form.record === "new" && record ? `The new ${types[0]} record gets this name.` : "Optional: shown in lists and the audit trail.")}
        />
        <PasswordField
          id="user-password"
          value={form.password}
          onChange={(password) => update({ password })}
          error={errors.password}
          optionalHint={patient ? "Optional for patients: leave it empty and they sign in with a one-time code sent by e-mail." : undefined}
        />
    </FormDialog>
  );
}
