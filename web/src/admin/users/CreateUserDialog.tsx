import type { FormEvent } from "react";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormLabel from "@mui/material/FormLabel";
import MenuItem from "@mui/material/MenuItem";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import TextField from "@mui/material/TextField";
import type { Fhir } from "../../api/fhir";
import { FormDialog } from "../common/FormDialog";
import { useFormDialog } from "../common/useFormDialog";
import type { AdminApi, AdminUser, UserRole } from "../api";
import { ResourcePicker } from "../common/ResourcePicker";
import { PasswordField } from "./PasswordField";
import { emptyUserForm, needsRecord, recordTypes, ROLES, toNewUser, type UserForm, validateUser } from "./validate";
import { useNarrow } from "../common/useNarrow";

export interface CreateUserDialogProps {
  api: AdminApi;
  fhir: Fhir;
  onClose: () => void;
  /** passwordless: a patient who signs in with one-time codes. */
  onCreated: (u: AdminUser, passwordless: boolean) => void;
}

export function CreateUserDialog(props: CreateUserDialogProps) {
  const { form, errors, busy, failure, update, submit } = useFormDialog(emptyUserForm, validateUser);
  const fullScreen = useNarrow();


  function changeRole(role: UserRole) {
    const keep = form.record === "existing" && recordTypes(role).some((t) => form.fhirResource.startsWith(`${t}/`));
    update({ role, fhirResource: keep ? form.fhirResource : "" });
  }

  function send(e: FormEvent) {
    return submit(
      e,
      (errs) => {
        const first = (["email", "name", "fhirResource", "password"] as const).find((k) => errs[k]);
        return `user-${first}`;
      },
      async () => {
        props.onCreated(await props.api.createUser(toNewUser(form)), form.password === "");
      },
    );
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
      onSubmit={(e) => void send(e)}
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
