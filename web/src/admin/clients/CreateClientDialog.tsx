import type { FormEvent } from "react";
import Checkbox from "@mui/material/Checkbox";
import Chip from "@mui/material/Chip";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormGroup from "@mui/material/FormGroup";
import FormHelperText from "@mui/material/FormHelperText";
import FormLabel from "@mui/material/FormLabel";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { FormDialog } from "../common/FormDialog";
import { useFormDialog } from "../common/useFormDialog";
import type { AdminApi, CreatedClient } from "../api";
import { type ClientForm, emptyClientForm, type Grant, GRANTS, SCOPE_PRESETS, scopeTokens, toNewClient, validateClientForm } from "./validate";
import { useNarrow } from "../common/useNarrow";

export function CreateClientDialog(props: { api: AdminApi; onClose: () => void; onCreated: (c: CreatedClient) => void }) {
  const { form, errors, busy, failure, update, submit } = useFormDialog(emptyClientForm, validateClientForm);
  const fullScreen = useNarrow();


  function setType(type: ClientForm["type"]) {
    update({ type, grants: type === "public" ? form.grants.filter((g) => g !== "client_credentials") : form.grants });
  }

  function toggleGrant(g: Grant, on: boolean) {
    update({ grants: on ? [...form.grants, g] : form.grants.filter((x) => x !== g) });
  }

  function addScopes(s: string) {
    const have = scopeTokens(form.scopes);
    update({ scopes: [...have, ...scopeTokens(s).filter((t) => !have.includes(t))].join(" ") });
  }

  function send(e: FormEvent) {
    return submit(
      e,
      (errs) => {
        const first = (["name", "grants", "redirectUris", "scopes"] as const).find((k) => errs[k]);
        return first === "grants" ? "client-grant-authorization_code" : `client-${first}`;
      },
      async () => {
        props.onCreated(await props.api.createClient(toNewClient(form)));
      },
    );
  }

  const isPublic = form.type === "public";
  return (
    <FormDialog
      id="create-client"
      title="Create client"
      submitLabel="Create client"
      busyLabel="Creating…"
      busy={busy}
      failure={failure}
      fullScreen={fullScreen}
      onSubmit={(e) => void send(e)}
      onClose={props.onClose}
    >
      <TextField
        id="client-name"
        label="Name"
        required
        fullWidth
        value={form.name}
        onChange={(e) => update({ name: e.target.value })}
        error={Boolean(errors.name)}
        helperText={errors.name || "Shown on the consent screen and in the audit trail."}
      />
      <FormControl>
        <FormLabel id="client-type-label">Kind of app</FormLabel>
        <RadioGroup aria-labelledby="client-type-label" value={form.type} onChange={(e) => setType(e.target.value as ClientForm["type"])}>
          <FormControlLabel value="confidential" control={<Radio />} label="Confidential — runs on a server and keeps a secret" />
          <FormControlLabel value="public" control={<Radio />} label="Public — a browser or mobile app; no secret, signs in with PKCE" />
        </RadioGroup>
      </FormControl>
      <FormControl error={Boolean(errors.grants)} component="fieldset" variant="standard">
        <FormLabel component="legend">Grant types</FormLabel>
        <FormGroup>
          {GRANTS.map((g) => {
            const blocked = g.value === "client_credentials" && isPublic;
            return (
              <FormControlLabel
                key={g.value}
                control={
                  <Checkbox
                    id={`client-grant-${g.value}`}
                    checked={form.grants.includes(g.value)}
                    onChange={(e) => toggleGrant(g.value, e.target.checked)}
                    disabled={blocked}
                  />
                }
                label={`${g.label} — ${g.hint}`}
              />
            );
          })}
        </FormGroup>
        {errors.grants ? <FormHelperText>{errors.grants}</FormHelperText> : null}
      </FormControl>
      <TextField
        id="client-redirectUris"
        label="Redirect URIs"
        multiline
        minRows={2}
        fullWidth
        value={form.redirectUris}
        onChange={(e) => update({ redirectUris: e.target.value })}
        error={Boolean(errors.redirectUris)}
        helperText={errors.redirectUris || "One per line, exactly as the app sends them, e.g. https://app.example.org/callback."}
        slotProps={{ htmlInput: { spellCheck: false } }}
      />
      <Stack spacing={1}>
        <TextField
          id="client-scopes"
          label="Scopes"
          required
          multiline
          fullWidth
          value={form.scopes}
          onChange={(e) => update({ scopes: e.target.value })}
          error={Boolean(errors.scopes)}
          helperText={errors.scopes || "Separated by spaces. The most the client may ask for; people can still grant less."}
          slotProps={{ htmlInput: { spellCheck: false } }}
        />
        <Typography variant="body2" color="text.secondary" id="scope-presets-label">
          Add common scopes:
        </Typography>
        <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap" role="group" aria-labelledby="scope-presets-label">
          {SCOPE_PRESETS.filter((p) => !(isPublic && p.scopes.startsWith("system/"))).map((p) => (
            <Chip key={p.label} label={`${p.label}: ${p.scopes}`} onClick={() => addScopes(p.scopes)} variant="outlined" />
          ))}
        </Stack>
      </Stack>
    </FormDialog>
  );
}
