// The frame every admin form dialog shares: a labelled dialog around a
// form, the server's refusal in plain words, Cancel and the submit button.
import type { FormEvent, ReactNode } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import { errorText } from "../../components/ErrorPanel";

export function FormDialog(props: {
  /** Prefix of the element ids ("create-user" → "create-user-title"). */
  id: string;
  title: string;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  failure: unknown;
  fullScreen: boolean;
  onSubmit: (e: FormEvent) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog open onClose={props.busy ? undefined : props.onClose} aria-labelledby={`${props.id}-title`} fullWidth maxWidth="sm" fullScreen={props.fullScreen}>
      <form onSubmit={props.onSubmit} noValidate>
        <DialogTitle id={`${props.id}-title`}>{props.title}</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {props.children}
            {props.failure ? (
              <Alert severity="error" role="alert">
                {errorText(props.failure)}
              </Alert>
            ) : null}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={props.onClose} disabled={props.busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={props.busy}>
            {props.busy ? props.busyLabel : props.submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
