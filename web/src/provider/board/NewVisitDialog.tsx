import { useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import useMediaQuery from "@mui/material/useMediaQuery";
import { useTheme } from "@mui/material/styles";
import { type Resource } from "../../api/fhir";
import { telemed } from "../../auth/session";
import { errorText } from "../../components/ErrorPanel";
import { navigate } from "../../router";
import { adHocEncounter } from "./data";
import { InviteLinkPanel } from "./InviteLinkPanel";
import { PatientPicker } from "./PatientPicker";
import { nameOf } from "../common/names";

export function patientEmail(p: Resource | null | undefined): string {
  const t = (p?.telecom ?? []).find((x: any) => x?.system === "email" && x?.value && x?.use !== "old");
  return t?.value ?? "";
}

/** Creates an ad-hoc video visit for a patient and hands out its link. */
export function NewVisitDialog(props: { open: boolean; onClose: () => void; me: { reference?: string; display?: string } }) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [patient, setPatient] = useState<Resource | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Resource | null>(null);

  function close() {
    props.onClose();
    // Start fresh next time (after the closing animation).
    window.setTimeout(() => {
      setPatient(null);
      setCreated(null);
      setError(null);
    }, 300);
  }

  async function create() {
    if (!patient) {
      setError(new Error("Choose the patient first: type part of their name and pick them from the list."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { encounter } = await telemed.createMeeting(adHocEncounter(patient, props.me), { waitingRoom: true });
      setCreated(encounter);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const name = nameOf(patient) || "the patient";
  return (
    <Dialog open={props.open} onClose={busy ? undefined : close} fullScreen={fullScreen} fullWidth maxWidth="sm" aria-labelledby="new-visit-title">
      <DialogTitle id="new-visit-title">New visit</DialogTitle>
      <DialogContent>
        {!created ? (
          <Stack component="form" id="new-visit-form" spacing={2} sx={{ pt: 1 }} noValidate onSubmit={(e) => { e.preventDefault(); void create(); }}>
            <Typography color="text.secondary">A video visit that starts now. The patient gets a link and waits until you admit them.</Typography>
            <PatientPicker value={patient} onChange={setPatient} disabled={busy} />
            {error ? <Alert severity="error" role="alert">{errorText(error)}</Alert> : null}
          </Stack>
        ) : (
          <Stack spacing={2} sx={{ pt: 1 }}>
            <Alert severity="success">Visit created for {name}.</Alert>
            <InviteLinkPanel encounterId={created.id!} patientName={name} defaultEmail={patientEmail(patient)} />
          </Stack>
        )}
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2, flexWrap: "wrap", gap: 1 }}>
        {!created ? (
          <>
            <Button onClick={close} disabled={busy}>Cancel</Button>
            <Button type="submit" form="new-visit-form" variant="contained" disabled={busy || !patient}>
              {busy ? "Creating…" : "Create visit"}
            </Button>
          </>
        ) : (
          <>
            <Button onClick={() => { close(); navigate(`/board/visit/${encodeURIComponent(created.id!)}`); }}>Open visit</Button>
            <Button variant="contained" onClick={close}>Done</Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}

/** The link of an existing visit (a new invitation each time it is opened). */
export function VisitLinkDialog(props: { visit: { id: string; patientName: string; patientRef?: string } | null; onClose: () => void }) {
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const v = props.visit;
  return (
    <Dialog open={!!v} onClose={props.onClose} fullScreen={fullScreen} fullWidth maxWidth="sm" aria-labelledby="visit-link-title">
      <DialogTitle id="visit-link-title">Link for {v?.patientName}</DialogTitle>
      <DialogContent>
        <Stack sx={{ pt: 1 }}>{v ? <InviteLinkPanel encounterId={v.id} patientName={v.patientName} /> : null}</Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button variant="contained" onClick={props.onClose}>Done</Button>
      </DialogActions>
    </Dialog>
  );
}
