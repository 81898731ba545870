import { useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import useMediaQuery from "@mui/material/useMediaQuery";
import { useTheme } from "@mui/material/styles";
import type { Invitation } from "../../api/telemed";
import { telemed } from "../../auth/session";
import { errorText } from "../../components/ErrorPanel";
import { formatDateTime } from "../../format";
import { CopyField } from "../common/CopyField";

type GuestRole = "interpreter" | "family";

/** An interpreter or family member joins with a link of their own. */
export function InviteGuestDialog(props: { open: boolean; encounterId: string; onClose: () => void }) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [name, setName] = useState("");
  const [role, setRole] = useState<GuestRole>("interpreter");
  const [nameError, setNameError] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [inv, setInv] = useState<Invitation | null>(null);

  function close() {
    props.onClose();
    window.setTimeout(() => {
      setName("");
      setRole("interpreter");
      setInv(null);
      setError(null);
      setNameError("");
    }, 300);
  }

  async function create() {
    const n = name.trim();
    if (!n) {
      setNameError("Enter the guest's name, as they should appear in the call.");
      return;
    }
    setNameError("");
    setBusy(true);
    setError(null);
    try {
      setInv(await telemed.invite(props.encounterId, { name: n, role }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={props.open} onClose={busy ? undefined : close} fullScreen={fullScreen} fullWidth maxWidth="sm" aria-labelledby="invite-guest-title">
      <DialogTitle id="invite-guest-title">Invite guest</DialogTitle>
      <DialogContent>
        {!inv ? (
          <Stack component="form" id="invite-guest-form" spacing={2} sx={{ pt: 1 }} noValidate onSubmit={(e) => { e.preventDefault(); void create(); }}>
            <Typography color="text.secondary">An interpreter or a family member joins this visit with a link of their own. You admit them when they arrive.</Typography>
            <TextField label="Guest's name" value={name} onChange={(e) => setName(e.target.value)} error={!!nameError} helperText={nameError} autoFocus fullWidth required slotProps={{ htmlInput: { maxLength: 200 } }} />
            <TextField select label="Role" value={role} onChange={(e) => setRole(e.target.value as GuestRole)} fullWidth slotProps={{ select: { native: true } }}>
              <option value="interpreter">Interpreter</option>
              <option value="family">Family member</option>
            </TextField>
            {error ? <Alert severity="error" role="alert">{errorText(error)}</Alert> : null}
          </Stack>
        ) : (
          <Stack spacing={2} sx={{ pt: 1 }}>
            <Alert severity="success">Link ready for {inv.name}.</Alert>
            <CopyField label="Guest link" value={inv.url} helperText={`Send it to ${inv.name} only. It works until ${formatDateTime(inv.expiresAt)}.`} />
          </Stack>
        )}
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        {!inv ? (
          <>
            <Button onClick={close} disabled={busy}>Cancel</Button>
            <Button type="submit" form="invite-guest-form" variant="contained" disabled={busy}>
              {busy ? "Creating…" : "Create link"}
            </Button>
          </>
        ) : (
          <Button variant="contained" onClick={close}>Done</Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
