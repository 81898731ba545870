// "Consent to a video visit": what a telehealth visit means, one check box,
// and a FHIR Consent recorded for this visit.
import { useState, type FormEvent } from "react";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormHelperText from "@mui/material/FormHelperText";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { Fhir } from "../api/fhir";
import { ErrorPanel } from "../components/ErrorPanel";
import { buildConsent } from "./intake";

export function ConsentStep(props: { fhir: Fhir; encounterId: string; patientId: string; onDone: () => void }) {
  const [agreed, setAgreed] = useState(false);
  const [missing, setMissing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    if (!agreed) {
      setMissing(true);
      document.getElementById("consent-agree")?.focus();
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await props.fhir.create(buildConsent(props.patientId, props.encounterId));
      props.onDone();
    } catch (err) {
      setError(err);
      setSaving(false);
    }
  }

  return (
    <Paper sx={{ p: { xs: 2.5, sm: 4 } }}>
      <form noValidate onSubmit={submit} aria-labelledby="consent-heading">
        <Stack spacing={2.5}>
          <Typography variant="h1" id="consent-heading">
            Consent to a video visit
          </Typography>
          <Typography>Before we connect you, please read how a video visit works.</Typography>
          <Box component="ul" sx={{ m: 0, pl: 3, "& li": { mb: 1 } }}>
            <li>
              <Typography>Your provider sees and hears you over a secure video connection. The visit is not recorded.</Typography>
            </li>
            <li>
              <Typography>
                Some problems can't be checked over video. If that happens, your provider will ask you to come in or see someone in person.
              </Typography>
            </li>
            <li>
              <Typography>Your provider writes notes in your health record, the same as for an office visit.</Typography>
            </li>
            <li>
              <Typography>You can stop the video visit at any time and ask for another kind of visit instead.</Typography>
            </li>
            <li>
              <Typography>If you have an emergency, hang up and call your local emergency number.</Typography>
            </li>
          </Box>
          <FormControl error={missing && !agreed}>
            <FormControlLabel
              control={
                <Checkbox
                  id="consent-agree"
                  checked={agreed}
                  onChange={(e) => {
                    setAgreed(e.target.checked);
                    if (e.target.checked) setMissing(false);
                  }}
                  slotProps={{ input: { "aria-describedby": missing && !agreed ? "consent-missing" : undefined } as any }}
                  disabled={saving}
                />
              }
              label="I agree to have this visit by video"
            />
            {missing && !agreed ? (
              <FormHelperText id="consent-missing" role="alert">
                Please tick the box to agree. If you'd rather not have a video visit, call your clinic to arrange another kind of visit.
              </FormHelperText>
            ) : null}
          </FormControl>
          {error ? <ErrorPanel error={error} title="Your consent was not saved" /> : null}
          <div>
            <Button type="submit" variant="contained" size="large" disabled={saving}>
              Agree and continue
            </Button>
          </div>
        </Stack>
      </form>
    </Paper>
  );
}
