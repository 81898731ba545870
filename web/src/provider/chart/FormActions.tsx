import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { EntryForm } from "./useEntryForm";

/** The submit button ("Add …" or "Save changes"), Cancel while editing, and the outcome. */
export function FormActions<V extends Record<string, string>>(props: { form: EntryForm<V>; addLabel: string }) {
  const f = props.form;
  return (
    <>
      {f.errors.form ? <Alert severity="error" role="alert">{f.errors.form}</Alert> : null}
      <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap>
        <Button type="submit" variant="contained" disabled={f.busy}>
          {f.busy ? "Saving…" : f.editing ? "Save changes" : props.addLabel}
        </Button>
        {f.editing ? (
          <Button onClick={f.cancel} disabled={f.busy}>
            Cancel editing
          </Button>
        ) : null}
      </Stack>
      <Typography role="status" variant="body2" color="success.main" sx={{ minHeight: "1.25em" }}>
        {f.status}
      </Typography>
    </>
  );
}
