import { useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { errorText } from "../../components/ErrorPanel";
import { formatTime } from "../../format";
import { buildDocumentReference, FormError, type ChartContext } from "./builders";
import type { Chart } from "./useChart";

function savedLine(chart: Chart): string {
  const n = chart.note;
  if (!n) return chart.draft.dirty ? "Not saved yet." : "";
  const when = formatTime(n.meta?.lastUpdated ?? n.date);
  const what = n.docStatus === "preliminary" ? "Draft saved" : n.docStatus === "amended" ? "Amended note saved" : "Final note saved";
  return `${what}${when ? ` at ${when}` : ""}${chart.draft.dirty ? " · you have changes that are not saved yet" : ""}.`;
}

/** The visit note and the patient's instructions (one DocumentReference per visit). */
export function NoteTab(props: { ctx: ChartContext; chart: Chart }) {
  const { chart } = props;
  const [busy, setBusy] = useState<"" | "draft" | "final">("");
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");

  async function save(final: boolean) {
    let doc;
    try {
      doc = buildDocumentReference(props.ctx, chart.draft, final, chart.note);
    } catch (e) {
      if (e instanceof FormError) {
        setError(e.message);
        return;
      }
      throw e;
    }
    setBusy(final ? "final" : "draft");
    setError("");
    try {
      await chart.documents.save(doc);
      chart.markSaved();
      setStatus(final ? "The visit note is saved. The patient sees the instructions in their visit summary." : "Draft saved.");
    } catch (e) {
      setError(`The note was not saved. ${errorText(e)}`);
    } finally {
      setBusy("");
    }
  }

  const loading = chart.documents.status === "loading";
  return (
    <Stack component="form" spacing={2} noValidate aria-label="Visit note" onSubmit={(e) => { e.preventDefault(); void save(true); }}>
      {chart.documents.status === "error" ? (
        <Alert severity="error" role="alert" action={<Button color="inherit" size="small" onClick={chart.documents.reload}>Try again</Button>}>
          The saved note could not be loaded. {errorText(chart.documents.error)}
        </Alert>
      ) : null}
      <TextField
        label="Visit note"
        value={chart.draft.note}
        onChange={(e) => chart.setDraft({ note: e.target.value })}
        multiline
        minRows={6}
        fullWidth
        disabled={loading}
        helperText="For the record: history, findings, assessment and plan."
      />
      <TextField
        label="Instructions for the patient"
        value={chart.draft.instructions}
        onChange={(e) => chart.setDraft({ instructions: e.target.value })}
        multiline
        minRows={3}
        fullWidth
        disabled={loading}
        helperText="Plain words the patient reads in their visit summary."
      />
      {error ? <Alert severity="error" role="alert">{error}</Alert> : null}
      <Stack direction="row" spacing={1} flexWrap="wrap" useFlexGap>
        <Button type="submit" variant="contained" disabled={!!busy || loading}>
          {busy === "final" ? "Saving…" : "Save note"}
        </Button>
        {chart.note?.docStatus === "final" || chart.note?.docStatus === "amended" ? null : (
          <Button variant="outlined" disabled={!!busy || loading} onClick={() => void save(false)}>
            {busy === "draft" ? "Saving…" : "Save draft"}
          </Button>
        )}
      </Stack>
      <Typography variant="body2" color="text.secondary">
        {savedLine(chart)}
      </Typography>
      <Typography role="status" variant="body2" color="success.main" sx={{ minHeight: "1.25em" }}>
        {status}
      </Typography>
    </Stack>
  );
}
