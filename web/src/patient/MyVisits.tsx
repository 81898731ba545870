// /me: the signed-in patient's visits of today and the days ahead, with
// "Join" for today's and the summary of those that ended.
import { useCallback, useEffect, useState } from "react";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { Fhir, Resource } from "../api/fhir";
import { ErrorPanel } from "../components/ErrorPanel";
import { Loading } from "../components/Loading";
import { formatDate, formatTime, viewerTimeZone } from "../format";
import { navigate } from "../router";
import { isOver, practitionerNames } from "./visit";

/** Local midnight today, as the lower bound of the Encounter date search. */
export function startOfToday(now = new Date()): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

export function isSameDay(iso: string | undefined, now = new Date()): boolean {
  if (!iso) return false;
  const d = new Date(iso);
  return d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
}

const STATUS_WORDS: Record<string, string> = {
  planned: "Scheduled",
  arrived: "Checked in",
  triaged: "Checked in",
  "in-progress": "In progress",
  onleave: "In progress",
  finished: "Ended",
  cancelled: "Cancelled",
};

export async function loadMyVisits(fhir: Fhir, patientId: string, now = new Date()): Promise<Resource[]> {
  const { matches } = await fhir.searchAll("Encounter", {
    subject: `Patient/${patientId}`,
    date: `ge${startOfToday(now).toISOString()}`,
    _sort: "date",
    _count: 50,
  });
  return matches
    .filter((e) => e.status !== "entered-in-error")
    .sort((a, b) => (a.period?.start ?? "").localeCompare(b.period?.start ?? ""));
}

function VisitRow(props: { enc: Resource; today: boolean }) {
  const { enc } = props;
  const id = enc.id ?? "";
  const over = isOver(enc.status);
  const who = practitionerNames(enc);
  const when = props.today ? `Today at ${formatTime(enc.period?.start)}` : `${formatDate(enc.period?.start)} at ${formatTime(enc.period?.start)}`;
  const descId = `visit-${id}-desc`;
  return (
    <Paper component="article" aria-labelledby={descId} sx={{ p: 2 }}>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2} sx={{ alignItems: { sm: "center" } }}>
        <Stack spacing={0.5} sx={{ flex: 1 }} id={descId}>
          <Typography variant="h3" component="h3">
            {when}
          </Typography>
          <Typography color="text.secondary">{who.length ? `Video visit with ${who.join(" and ")}` : "Video visit"}</Typography>
        </Stack>
        <Chip label={STATUS_WORDS[enc.status] ?? enc.status} size="small" variant="outlined" sx={{ alignSelf: { xs: "flex-start", sm: "center" } }} />
        {enc.status === "finished" ? (
          <Button variant="outlined" aria-describedby={descId} onClick={() => navigate(`/me/visit/${encodeURIComponent(id)}`)}>
            See summary
          </Button>
        ) : props.today && !over ? (
          <Button variant="contained" aria-describedby={descId} onClick={() => navigate(`/me/visit/${encodeURIComponent(id)}`)}>
            Join
          </Button>
        ) : null}
      </Stack>
    </Paper>
  );
}

export function MyVisits(props: { fhir: Fhir; patientId: string; name?: string }) {
  const { fhir, patientId } = props;
  const [visits, setVisits] = useState<Resource[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    setError(null);
    loadMyVisits(fhir, patientId).then(setVisits, setError);
  }, [fhir, patientId]);

  useEffect(() => {
    load();
    document.title = "My visits · Housecall";
  }, [load]);

  const today = (visits ?? []).filter((v) => isSameDay(v.period?.start));
  const later = (visits ?? []).filter((v) => !isSameDay(v.period?.start));
  return (
    <Stack spacing={3}>
      <div>
        <Typography variant="h1" gutterBottom>
          {props.name ? `Hello, ${props.name.split(/\s+/)[0]}` : "My visits"}
        </Typography>
        <Typography color="text.secondary">Your video visits for today and the days ahead. Times are in {viewerTimeZone()}.</Typography>
      </div>
      {error ? <ErrorPanel error={error} title="We couldn't load your visits" onRetry={load} /> : null}
      {!visits && !error ? <Loading label="Loading your visits…" /> : null}
      {visits ? (
        <>
          <section aria-labelledby="me-today">
            <Typography variant="h2" id="me-today" gutterBottom>
              Today
            </Typography>
            {today.length ? (
              <Stack spacing={1.5}>
                {today.map((v) => (
                  <VisitRow key={v.id} enc={v} today />
                ))}
              </Stack>
            ) : (
              <Typography color="text.secondary">You have no video visits today.</Typography>
            )}
          </section>
          <section aria-labelledby="me-later">
            <Typography variant="h2" id="me-later" gutterBottom>
              Upcoming
            </Typography>
            {later.length ? (
              <Stack spacing={1.5}>
                {later.map((v) => (
                  <VisitRow key={v.id} enc={v} today={false} />
                ))}
              </Stack>
            ) : (
              <Typography color="text.secondary">No upcoming visits. Your clinic will send you a link when they book one.</Typography>
            )}
          </section>
          <div>
            <Button variant="text" onClick={load}>
              Refresh
            </Button>
          </div>
        </>
      ) : null}
    </Stack>
  );
}
