import { useEffect, useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { telemed } from "../../auth/session";
import { errorText } from "../../components/ErrorPanel";

export const MAX_MESSAGE = 500;

const SUGGESTIONS = [
  "I'll be with you in about 5 minutes.",
  "I'm running about 15 minutes late. Thank you for waiting.",
  "I'm finishing another visit and will be with you shortly.",
];

/** A short message to everyone waiting for a visit (they see it in their waiting room). */
export function AskToWaitDialog(props: { visit: { id: string; patientName: string } | null; onClose: () => void; onSent: (text: string) => void }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (props.visit) {
      setText("");
      setError(null);
    }
  }, [props.visit]);

  async function send() {
    const msg = text.trim();
    if (!msg) {
      setError(new Error("Write a message, or pick one of the suggestions."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await telemed.waitMessage(props.visit!.id, msg);
      props.onSent(msg);
      props.onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={!!props.visit} onClose={busy ? undefined : props.onClose} fullWidth maxWidth="sm" aria-labelledby="ask-wait-title">
      <DialogTitle id="ask-wait-title">Ask {props.visit?.patientName} to wait</DialogTitle>
      <DialogContent>
        <Stack component="form" id="ask-wait-form" spacing={2} sx={{ pt: 1 }} noValidate onSubmit={(e) => { e.preventDefault(); void send(); }}>
          <TextField
            label="Message to the patient"
            value={text}
            onChange={(e) => setText(e.target.value.slice(0, MAX_MESSAGE))}
            multiline
            minRows={3}
            autoFocus
            fullWidth
            helperText={`${text.length}/${MAX_MESSAGE} · shown in their waiting room`}
          />
          <Stack direction="row" spacing={1} flexWrap="wrap" useFlexGap aria-label="Suggested messages" role="group">
            {SUGGESTIONS.map((s) => (
              <Chip key={s} label={s} variant="outlined" onClick={() => setText(s)} sx={{ height: "auto", py: 0.5, "& .MuiChip-label": { whiteSpace: "normal" } }} />
            ))}
          </Stack>
          {error ? <Alert severity="error" role="alert">{errorText(error)}</Alert> : null}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={props.onClose} disabled={busy}>Cancel</Button>
        <Button type="submit" form="ask-wait-form" variant="contained" disabled={busy}>
          {busy ? "Sending…" : "Send message"}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
