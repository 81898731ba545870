import type { FormEvent } from "react";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormGroup from "@mui/material/FormGroup";
import FormHelperText from "@mui/material/FormHelperText";
import FormLabel from "@mui/material/FormLabel";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { FormDialog } from "../common/FormDialog";
import { useFormDialog } from "../common/useFormDialog";
import type { AdminApi } from "../api";
import { CopyField } from "../common/CopyField";
import { emptyWebhookForm, EVENT_TYPES, generateSecret, toNewWebhook, validateWebhook, type WebhookForm, webhookWarning } from "./validate";
import { useNarrow } from "../common/useNarrow";

export function AddWebhookDialog(props: { api: AdminApi; onClose: () => void; onCreated: () => void }) {
  const { form, errors, busy, failure, update, submit } = useFormDialog(emptyWebhookForm, validateWebhook);
  const fullScreen = useNarrow();


  function send(e: FormEvent) {
    return submit(
      e,
      (errs) => {
        const first = (["url", "description", "secret", "events"] as const).find((k) => errs[k]);
        return first === "events" ? `webhook-event-${EVENT_TYPES[0].value}` : `webhook-${first}`;
      },
      async () => {
        await props.api.createWebhook(toNewWebhook(form));
        props.onCreated();
      },
    );
  }

  const warning = webhookWarning(form);
  return (
    <FormDialog
      id="add-webhook"
      title="Add webhook"
      submitLabel="Add webhook"
      busyLabel="Adding…"
      busy={busy}
      failure={failure}
      fullScreen={fullScreen}
      onSubmit={(e) => void send(e)}
      onClose={props.onClose}
    >
      <TextField
        id="webhook-url"
        label="URL"
        type="url"
        required
        fullWidth
        value={form.url}
        onChange={(e) => update({ url: e.target.value })}
        error={Boolean(errors.url)}
        helperText={errors.url || warning || "Housecall POSTs each event here as JSON. user:password@ in the address adds basic authentication."}
        slotProps={{ htmlInput: { spellCheck: false } }}
      />
      <TextField
        id="webhook-description"
        label="Description"
        fullWidth
        value={form.description}
        onChange={(e) => update({ description: e.target.value })}
        error={Boolean(errors.description)}
        helperText={errors.description || "Optional: what receives these events, e.g. “EHR integration”."}
      />
      <Stack spacing={1}>
        <Stack direction={{ xs: "column", sm: "row" }} spacing={1} alignItems={{ xs: "stretch", sm: "flex-start" }}>
          <TextField
            id="webhook-secret"
            label="Signing secret"
            fullWidth
            autoComplete="off"
            value={form.secret}
            onChange={(e) => update({ secret: e.target.value })}
            error={Boolean(errors.secret)}
            helperText={errors.secret || "Optional. Signs every delivery (Housecall-Signature header); give the same secret to the receiver. It is not shown again after saving."}
            slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: "ui-monospace, monospace" } } }}
          />
          <Button variant="outlined" onClick={() => update({ secret: generateSecret() })} sx={{ flexShrink: 0, mt: { sm: 1 } }}>
            Generate
          </Button>
        </Stack>
        {form.secret && !errors.secret ? <CopyField label="Secret to give the receiver" value={form.secret} copyLabel="Copy secret" /> : null}
      </Stack>
      <FormControl error={Boolean(errors.events)} component="fieldset" variant="standard">
        <FormLabel component="legend">Events to send</FormLabel>
        <RadioGroup value={form.scope} onChange={(e) => update({ scope: e.target.value as WebhookForm["scope"] })}>
          <FormControlLabel value="all" control={<Radio />} label="All events" />
          <FormControlLabel value="some" control={<Radio />} label="Only the events chosen below" />
        </RadioGroup>
        <FormGroup sx={{ pl: 4 }}>
          {EVENT_TYPES.map((t) => (
            <FormControlLabel
              key={t.value}
              disabled={form.scope === "all"}
              control={
                <Checkbox
                  id={`webhook-event-${t.value}`}
                  checked={form.scope === "all" || form.events.includes(t.value)}
                  onChange={(e) => update({ events: e.target.checked ? [...form.events, t.value] : form.events.filter((x) => x !== t.value) })}
                />
              }
              label={`${t.label} (${t.value})`}
            />
          ))}
        </FormGroup>
        {errors.events ? <FormHelperText>{errors.events}</FormHelperText> : null}
      </FormControl>
    </FormDialog>
  );
}
