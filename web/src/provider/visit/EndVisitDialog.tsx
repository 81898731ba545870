import { useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import { telemed } from "../../auth/session";
import { errorText } from "../../components/ErrorPanel";

/** Confirms ending the visit: everyone is disconnected and the Encounter is finished. */
export function EndVisitDialog(props: { open: boolean; encounterId: string; onClose: () => void; onEnded: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function end() {
    setBusy(true);
    setError(null);
    try {
      await telemed.end(props.encounterId);
      props.onEnded();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={props.open} onClose={busy ? undefined : props.onClose} aria-labelledby="end-visit-title" aria-describedby="end-visit-text">
      <DialogTitle id="end-visit-title">End this visit?</DialogTitle>
      <DialogContent>
        <DialogContentText id="end-visit-text">
          Everyone is disconnected and the visit is marked finished. You can still complete the chart afterwards.
        </DialogContentText>
        {error ? <Alert severity="error" role="alert" sx={{ mt: 2 }}>{errorText(error)}</Alert> : null}
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={props.onClose} disabled={busy} autoFocus>
          Keep the visit going
        </Button>
        <Button color="error" variant="contained" onClick={() => void end()} disabled={busy}>
          {busy ? "Ending…" : "End visit for everyone"}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
