import { useEffect, useMemo, useState, type ReactNode } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import ArrowBackIcon from "@mui/icons-material/ArrowBack";
import PersonAddIcon from "@mui/icons-material/PersonAdd";
import { ApiError } from "../../api/http";
import { telemed } from "../../auth/session";
import { CallView } from "../../call";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { Shell } from "../../components/Shell";
import { formatDateTime, formatTime } from "../../format";
import { navigate } from "../../router";
import type { ChartContext, Reference } from "../chart/builders";
import { ChartPanel } from "../chart/ChartPanel";
import { useChart } from "../chart/useChart";
import { nameOf } from "../common/names";
import { CallButtons } from "./CallButtons";
import { EndVisitDialog } from "./EndVisitDialog";
import { InviteGuestDialog } from "./InviteGuestDialog";
import { useVisit } from "./useVisit";
import { useVisitLive } from "./useVisitLive";
import { VisitWaiting } from "./VisitWaiting";

type CallState = "in" | "left" | "removed" | "ended";

const CALL_MESSAGES: Record<Exclude<CallState, "in">, string> = {
  left: "You left the call. The patient can stay connected: rejoin when you are ready, or end the visit.",
  removed: "You were disconnected from the call (perhaps you joined from another tab or device). Rejoin to continue.",
  ended: "The visit has ended. You can finish the chart here.",
};

/**
 * A visit: the call full-screen with the chart beside it (below it on a
 * phone), or the chart alone once the provider left or the visit ended.
 */
export function VisitPage(props: { id: string; me: Reference; shellActions?: ReactNode }) {
  const { id, me } = props;
  const v = useVisit(id);
  const chart = useChart(id);
  const encStatus: string | undefined = v.enc?.status;
  const over = encStatus === "finished" || encStatus === "cancelled";
  const live = useVisitLive(id, !!v.enc && !over);
  const [call, setCall] = useState<CallState>("in");
  const [inviteOpen, setInviteOpen] = useState(false);
  const [endOpen, setEndOpen] = useState(false);
  const status = live.status ?? encStatus;
  const finished = over || status === "finished" || status === "cancelled" || call === "ended";

  const name = nameOf(v.patient) || v.enc?.subject?.display || "Patient";
  const subject: string | undefined = v.enc?.subject?.reference;
  const ctx: ChartContext | null = useMemo(
    () => (subject ? { encounter: id, patient: { reference: subject, display: name }, me } : null),
    [id, subject, name, me],
  );

  useEffect(() => {
    const before = document.title;
    document.title = `${name} · Visit · Housecall`;
    return () => {
      document.title = before;
    };
  }, [name]);

  const page = (children: ReactNode) => (
    <Shell title="Visits" maxWidth="lg" actions={props.shellActions}>
      {children}
    </Shell>
  );
  const back = (
    <Button startIcon={<ArrowBackIcon />} onClick={() => navigate("/board")} sx={{ alignSelf: "flex-start" }}>
      Today's visits
    </Button>
  );

  if (v.error) {
    const notFound = v.error instanceof ApiError && (v.error.status === 404 || v.error.status === 410);
    return page(
      <Stack spacing={2} sx={{ maxWidth: 640 }}>
        <ErrorPanel
          error={notFound ? new Error("This visit was not found. It may have been removed, or the address is wrong.") : v.error}
          title="The visit could not be opened"
          onRetry={notFound ? undefined : v.retry}
        />
        {back}
      </Stack>,
    );
  }
  if (!v.enc) return page(<Loading label="Opening the visit…" />);
  if (!ctx) return page(<Stack spacing={2}><Alert severity="error" role="alert">This visit has no patient, so there is nothing to chart. Check the visit in the clinic's records.</Alert>{back}</Stack>);

  const start: string | undefined = v.enc.period?.start;
  const end: string | undefined = v.enc.period?.end;
  const heading = (
    <Box sx={{ minWidth: 0 }}>
      <Typography variant="h1" component={finished || call !== "in" ? "h1" : "h2"} sx={{ fontSize: { xs: "1.25rem", sm: "1.5rem" }, overflowWrap: "anywhere" }}>
        {name}
      </Typography>
      <Typography variant="body2" color="text.secondary">
        {finished ? `Visit ended${end ? ` ${formatDateTime(end)}` : ""}` : `Video visit${start ? ` · started ${formatTime(start)}` : ""}`}
      </Typography>
    </Box>
  );
  const dialogs = (
    <>
      <InviteGuestDialog open={inviteOpen} encounterId={id} onClose={() => setInviteOpen(false)} />
      <EndVisitDialog open={endOpen} encounterId={id} onClose={() => setEndOpen(false)} onEnded={() => navigate("/board")} />
    </>
  );

  if (!finished && call === "in") {
    return (
      <>
        {/* Over the video (not the chart beside it on wide screens), so an arrival is seen at once. */}
        <Box sx={{ position: "fixed", top: 64, left: { xs: "50%", md: "calc((100% - 420px) / 2)" }, transform: "translateX(-50%)", zIndex: 1200, width: "min(480px, calc(100% - 16px))" }}>
          <VisitWaiting live={live} />
        </Box>
        <CallView
          join={() => telemed.join(id)}
          role="host"
          displayName={me.display || "Your provider"}
          extraControls={<CallButtons onInvite={() => setInviteOpen(true)} onEnd={() => setEndOpen(true)} />}
          sidePanel={
            <>
              <Stack direction="row" spacing={1} alignItems="center" sx={{ px: 2, pt: 1.5 }}>
                <Button startIcon={<ArrowBackIcon />} size="small" onClick={() => navigate("/board")}>
                  Back to board
                </Button>
              </Stack>
              <Box sx={{ px: 2, pb: 1 }}>{heading}</Box>
              <ChartPanel ctx={ctx} chart={chart} />
            </>
          }
          onLeft={(reason) => setCall(reason)}
        />
        {dialogs}
      </>
    );
  }

  return page(
    <Stack spacing={2}>
      {back}
      <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap>
        <Box sx={{ mr: "auto" }}>{heading}</Box>
        {!finished ? (
          <>
            <Button variant="contained" onClick={() => setCall("in")}>
              Rejoin call
            </Button>
            <Button variant="outlined" startIcon={<PersonAddIcon />} onClick={() => setInviteOpen(true)}>
              Invite guest
            </Button>
            <Button variant="outlined" color="error" onClick={() => setEndOpen(true)}>
              End visit
            </Button>
          </>
        ) : null}
      </Stack>
      {!finished ? <VisitWaiting live={live} /> : null}
      <Alert severity={finished ? "success" : "info"}>{finished ? CALL_MESSAGES.ended : CALL_MESSAGES[call as "left" | "removed"]}</Alert>
      <Paper sx={{ overflow: "hidden" }}>
        <ChartPanel ctx={ctx} chart={chart} />
      </Paper>
      {dialogs}
    </Stack>,
  );
}
