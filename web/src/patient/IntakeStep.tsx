// "About your visit": the reason for the visit and the clinic's intake
// questionnaire. Saves a QuestionnaireResponse and the reason on the
// Encounter, then hands over to the consent step.
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import type { Fhir } from "../api/fhir";
import { ErrorPanel } from "../components/ErrorPanel";
import { Loading } from "../components/Loading";
import { loadQuestionnaire, saveReason } from "./intake";
import { buildResponse, initialValues, itemIndex, validate, type FormValue, type FormValues, type Questionnaire } from "./questionnaire";
import { fieldId, QuestionnaireItems } from "./QuestionnaireItems";

export const REASON_MAX = 1000;

export interface IntakeProps {
  fhir: Fhir;
  encounterId: string;
  patientId: string;
  onDone: () => void;
}

type Load = { state: "loading" } | { state: "error"; error: unknown } | { state: "ready"; q: Questionnaire | null };

export function IntakeStep(props: IntakeProps) {
  const { fhir, encounterId, patientId, onDone } = props;
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [reason, setReason] = useState("");
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  // The response is created once, even if saving the reason fails and the person tries again.
  const savedResponse = useRef(false);

  useEffect(() => {
    let live = true;
    setLoad({ state: "loading" });
    loadQuestionnaire(fhir).then(
      (q) => {
        if (!live) return;
        setValues(initialValues(q?.item));
        setLoad({ state: "ready", q });
      },
      (error) => live && setLoad({ state: "error", error }),
    );
    return () => {
      live = false;
    };
  }, [fhir, attempt]);

  const q = load.state === "ready" ? load.q : null;
  const byId = useMemo(() => itemIndex(q?.item), [q]);

  function change(linkId: string, v: FormValue) {
    setValues((old) => ({ ...old, [linkId]: v }));
    setErrors((old) => {
      if (!old[linkId]) return old;
      const { [linkId]: _, ...rest } = old;
      return rest;
    });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    const errs: Record<string, string> = {};
    const r = reason.trim();
    if (!r) errs.reason = "Please tell us briefly why you would like to see the provider.";
    else if (r.length > REASON_MAX) errs.reason = `Use at most ${REASON_MAX} characters.`;
    Object.assign(errs, validate(q?.item, values));
    setErrors(errs);
    const first = Object.keys(errs)[0];
    if (first) {
      const el = document.getElementById(first === "reason" ? "intake-reason" : fieldId(first));
      el?.focus();
      return;
    }
    setSaving(true);
    setSaveError(null);
    try {
      if (q && !savedResponse.current) {
        await fhir.create(buildResponse(q, values, { patient: `Patient/${patientId}`, encounter: `Encounter/${encounterId}` }));
        savedResponse.current = true;
      }
      await saveReason(fhir, encounterId, r);
      onDone();
    } catch (err) {
      setSaveError(err);
      setSaving(false);
    }
  }

  if (load.state === "loading") return <Loading label="Loading a few questions…" />;
  if (load.state === "error") {
    return <ErrorPanel error={load.error} title="We couldn't load the questions" onRetry={() => setAttempt((n) => n + 1)} />;
  }
  const errorCount = Object.keys(errors).length;
  return (
    <Paper sx={{ p: { xs: 2.5, sm: 4 } }}>
      <form noValidate onSubmit={submit} aria-labelledby="intake-heading">
        <Stack spacing={3}>
          <div>
            <Typography variant="h1" id="intake-heading" gutterBottom>
              About your visit
            </Typography>
            <Typography color="text.secondary">
              Your answers go to your provider before the visit starts. Questions marked with * need an answer.
            </Typography>
          </div>
          {errorCount > 0 ? (
            <Alert severity="error" role="alert">
              {errorCount === 1 ? "One answer needs your attention." : `${errorCount} answers need your attention.`} They are marked below.
            </Alert>
          ) : null}
          <TextField
            id="intake-reason"
            label="Reason for your visit"
            required
            multiline
            minRows={2}
            fullWidth
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              if (errors.reason) setErrors(({ reason: _, ...rest }) => rest);
            }}
            error={!!errors.reason}
            helperText={errors.reason || "In a few words: what would you like help with today?"}
            slotProps={{ htmlInput: { maxLength: REASON_MAX } }}
            disabled={saving}
          />
          <QuestionnaireItems items={q?.item} values={values} errors={errors} onChange={change} byId={byId} disabled={saving} />
          {saveError ? <ErrorPanel error={saveError} title="Your answers were not saved" /> : null}
          <div>
            <Button type="submit" variant="contained" size="large" disabled={saving}>
              {saving ? "Saving…" : "Continue"}
            </Button>
          </div>
        </Stack>
      </form>
    </Paper>
  );
}
