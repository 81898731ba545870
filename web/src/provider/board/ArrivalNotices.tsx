import Alert from "@mui/material/Alert";
import Stack from "@mui/material/Stack";
import type { Arrival } from "./useBoard";

/** "<name> is waiting": one polite live notice per arrival, until they are admitted or dismissed. */
export function ArrivalNotices(props: { arrivals: Arrival[]; patientOf: (encounterId: string) => string; onDismiss: (id: string) => void }) {
  if (props.arrivals.length === 0) return null;
  return (
    <Stack spacing={1} sx={{ mb: 2 }}>
      {props.arrivals.map((a) => (
        <Alert key={a.id} severity="info" variant="filled" role="status" sx={{ bgcolor: "primary.main", color: "primary.contrastText" }} onClose={() => props.onDismiss(a.id)} closeText={`Dismiss the notice about ${a.name}`}>
          <strong>{a.name} is waiting</strong>
          {a.role !== "patient" ? ` — ${a.role === "family" ? "family member" : a.role} for ${props.patientOf(a.encounterId)}'s visit` : null}
        </Alert>
      ))}
    </Stack>
  );
}
