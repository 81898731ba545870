import { useState } from "react";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import FormControlLabel from "@mui/material/FormControlLabel";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { CreatedClient } from "../api";
import { CopyField } from "../common/CopyField";

/**
 * Shows a new client's id and, for a confidential client, its secret —
 * the only time the secret is ever shown. Clicking outside does not close
 * it: the person confirms they stored the secret.
 */
export function SecretDialog(props: { created: CreatedClient; onClose: () => void }) {
  const { client, client_secret: secret } = props.created;
  const [stored, setStored] = useState(false);
  return (
    <Dialog open onClose={(_, reason) => reason !== "backdropClick" && (!secret || stored) && props.onClose()} aria-labelledby="secret-title" fullWidth maxWidth="sm">
      <DialogTitle id="secret-title">Client “{client.name}” created</DialogTitle>
      <DialogContent>
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          <CopyField label="Client ID" value={client.id} copyLabel="Copy client ID" />
          {secret ? (
            <>
              <Alert severity="warning">
                <AlertTitle>Copy the secret now</AlertTitle>
                This is the only time it is shown: Housecall keeps only a fingerprint of it. Store it in the app's secret settings or a password
                manager, never in code or e-mail. If it gets lost, create a new client and disable this one.
              </Alert>
              <CopyField label="Client secret" value={secret} copyLabel="Copy secret" />
              <FormControlLabel control={<Checkbox checked={stored} onChange={(e) => setStored(e.target.checked)} />} label="I have stored the secret" />
            </>
          ) : (
            <Typography color="text.secondary">A public app has no secret: it proves itself with PKCE each time someone signs in.</Typography>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button variant="contained" onClick={props.onClose} disabled={Boolean(secret) && !stored}>
          Done
        </Button>
      </DialogActions>
    </Dialog>
  );
}
