// "Visit summary": what the provider recorded for this visit — diagnoses,
// prescriptions in words, orders, the note and the instructions.
import { useCallback, useEffect, useState, type ReactNode } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Divider from "@mui/material/Divider";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { ApiError } from "../api/http";
import type { Fhir, Resource } from "../api/fhir";
import { ErrorPanel } from "../components/ErrorPanel";
import { Loading } from "../components/Loading";
import { formatDateTime } from "../format";
import { conceptCode, conceptText, describeMedication, isCurrent, notesOf } from "./summary";

interface Data {
  conditions: Resource[];
  medications: Resource[];
  orders: Resource[];
  note: string;
  instructions: string;
}

export async function loadSummary(fhir: Fhir, encounterId: string): Promise<Data> {
  const q = { encounter: `Encounter/${encounterId}`, _count: 100 };
  const [c, m, s, d] = await Promise.all([
    fhir.searchAll("Condition", q),
    fhir.searchAll("MedicationRequest", q),
    fhir.searchAll("ServiceRequest", q),
    fhir.searchAll("DocumentReference", q),
  ]);
  return {
    conditions: c.matches.filter(isCurrent),
    medications: m.matches.filter(isCurrent),
    orders: s.matches.filter(isCurrent),
    ...notesOf(d.matches),
  };
}

function Section(props: { id: string; title: string; empty: string; children?: ReactNode; has: boolean }) {
  return (
    <Box component="section" aria-labelledby={props.id}>
      <Typography variant="h2" id={props.id} gutterBottom>
        {props.title}
      </Typography>
      {props.has ? props.children : <Typography color="text.secondary">{props.empty}</Typography>}
    </Box>
  );
}

const listSx = { m: 0, pl: 0, listStyle: "none", "& > li": { py: 1, borderBottom: 1, borderColor: "divider" }, "& > li:last-child": { borderBottom: 0 } };

export function Summary(props: { fhir: Fhir; encounterId: string; start?: string; practitioners?: string[] }) {
  const { fhir, encounterId } = props;
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  const load = useCallback(() => {
    setLoading(true);
    setError(null);
    loadSummary(fhir, encounterId).then(
      (d) => {
        setData(d);
        setLoading(false);
      },
      (e) => {
        setError(e);
        setLoading(false);
      },
    );
  }, [fhir, encounterId]);

  useEffect(() => {
    load();
    document.title = "Visit summary · Housecall";
  }, [load]);

  const forbidden = error instanceof ApiError && (error.status === 401 || error.status === 403);
  const who = props.practitioners?.length ? ` with ${props.practitioners.join(" and ")}` : "";
  return (
    <Paper sx={{ p: { xs: 2.5, sm: 4 } }}>
      <Stack spacing={3}>
        <div>
          <Typography variant="h1" gutterBottom>
            Visit summary
          </Typography>
          <Typography color="text.secondary">
            Your video visit{who}
            {props.start ? ` on ${formatDateTime(props.start)}` : ""} has ended.
          </Typography>
        </div>
        {loading && !data ? <Loading label="Loading your visit summary…" /> : null}
        {forbidden ? (
          <Alert severity="info">
            The summary of this visit isn't available with this link any more. Ask your clinic for a copy, or sign in to your account to see it.
          </Alert>
        ) : error ? (
          <ErrorPanel error={error} title="We couldn't load your visit summary" onRetry={load} />
        ) : null}
        {data ? (
          <>
            <Section id="sum-diagnoses" title="Diagnoses" empty="No diagnoses were recorded." has={data.conditions.length > 0}>
              <Box component="ul" sx={listSx}>
                {data.conditions.map((c) => (
                  <li key={c.id}>
                    <Typography>
                      {conceptText(c.code) || "Diagnosis"}
                      {conceptCode(c.code) && conceptCode(c.code) !== conceptText(c.code) ? (
                        <Typography component="span" color="text.secondary">
                          {" "}
                          ({conceptCode(c.code)})
                        </Typography>
                      ) : null}
                    </Typography>
                  </li>
                ))}
              </Box>
            </Section>
            <Section id="sum-prescriptions" title="Prescriptions" empty="No prescriptions were written." has={data.medications.length > 0}>
              <Box component="ul" sx={listSx}>
                {data.medications.map((m) => {
                  const w = describeMedication(m);
                  return (
                    <li key={m.id}>
                      <Typography sx={{ fontWeight: 600 }}>{w.name}</Typography>
                      {w.directions ? <Typography>{w.directions}</Typography> : null}
                      {w.supply ? <Typography color="text.secondary">{w.supply}</Typography> : null}
                    </li>
                  );
                })}
              </Box>
            </Section>
            <Section id="sum-orders" title="Orders" empty="No tests or referrals were ordered." has={data.orders.length > 0}>
              <Box component="ul" sx={listSx}>
                {data.orders.map((o) => (
                  <li key={o.id}>
                    <Typography>{conceptText(o.code) || "Order"}</Typography>
                    {o.patientInstruction ? <Typography color="text.secondary">{o.patientInstruction}</Typography> : null}
                  </li>
                ))}
              </Box>
            </Section>
            <Section id="sum-instructions" title="Instructions" empty="Your provider hasn't written instructions yet." has={!!data.instructions}>
              <Typography sx={{ whiteSpace: "pre-wrap" }}>{data.instructions}</Typography>
            </Section>
            {data.note ? (
              <Section id="sum-note" title="Visit note" empty="" has>
                <Typography sx={{ whiteSpace: "pre-wrap" }}>{data.note}</Typography>
              </Section>
            ) : null}
            <Divider />
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2} sx={{ alignItems: { sm: "center" } }}>
              <Typography sx={{ flex: 1 }}>
                You can close this page. Your provider may add to the summary after the visit; come back to this link to see it.
              </Typography>
              <Button variant="outlined" onClick={load} disabled={loading}>
                Refresh summary
              </Button>
            </Stack>
          </>
        ) : forbidden ? (
          <Typography>You can close this page.</Typography>
        ) : null}
      </Stack>
    </Paper>
  );
}
