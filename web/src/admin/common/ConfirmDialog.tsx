import { type ReactNode, useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import { errorText } from "../../components/ErrorPanel";

export interface ConfirmProps {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  /** Red confirm button for actions that take something away. */
  destructive?: boolean;
  /** Runs the action; the dialog stays open with the error if it fails. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/** Asks before an action that cannot simply be undone. Cancel has the initial focus. */
export function ConfirmDialog(props: ConfirmProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <Dialog open onClose={busy ? undefined : props.onClose} aria-labelledby="confirm-title" aria-describedby="confirm-body" maxWidth="xs" fullWidth>
      <DialogTitle id="confirm-title">{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText id="confirm-body" component="div">
          {props.body}
        </DialogContentText>
        {error ? (
          <Alert severity="error" role="alert" sx={{ mt: 2 }}>
            {errorText(error)}
          </Alert>
        ) : null}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy} autoFocus>
          Cancel
        </Button>
        <Button variant="contained" color={props.destructive ? "error" : "primary"} onClick={() => void confirm()} disabled={busy}>
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
