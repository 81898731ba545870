import { useEffect, useMemo, useState } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import IconButton from "@mui/material/IconButton";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import AddIcon from "@mui/icons-material/Add";
import VolumeOffIcon from "@mui/icons-material/VolumeOff";
import VolumeUpIcon from "@mui/icons-material/VolumeUp";
import { telemed } from "../../auth/session";
import { ErrorPanel, errorText } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { formatDate, viewerTimeZone } from "../../format";
import { navigate } from "../../router";
import { primeChime, setSoundEnabled, soundEnabled } from "../common/chime";
import { useNow } from "../common/useNow";
import { ArrivalNotices } from "./ArrivalNotices";
import { AskToWaitDialog } from "./AskToWaitDialog";
import type { Viewer } from "./data";
import { boardTitle, COLUMNS, columns, waitingPeople, type BoardCard, type BoardVisit } from "./model";
import { NewVisitDialog, VisitLinkDialog } from "./NewVisitDialog";
import { ToFinish } from "./ToFinish";
import { useBoard } from "./useBoard";
import { VisitCard } from "./VisitCard";

/** Today's visits: scheduled, waiting, in call, finished — live. */
export function Board(props: { viewer: Viewer; me: { reference?: string; display?: string } }) {
  const data = useBoard(props.viewer);
  const now = useNow(30_000);
  const cols = useMemo(() => columns(data.board), [data.board]);
  const waitingCount = waitingPeople(data.board).length;
  const [newOpen, setNewOpen] = useState(false);
  const [askWait, setAskWait] = useState<BoardVisit | null>(null);
  const [linkFor, setLinkFor] = useState<BoardVisit | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState("");
  const [info, setInfo] = useState("");
  const [sound, setSound] = useState(soundEnabled);

  useEffect(() => primeChime(), []);
  useEffect(() => {
    const before = document.title;
    document.title = boardTitle(waitingCount);
    return () => {
      document.title = before;
    };
  }, [waitingCount]);

  async function admit(card: BoardCard) {
    setBusy(card.visit.id);
    setActionError("");
    try {
      for (const e of card.waiting) await telemed.admit(card.visit.id, e.key);
      navigate(`/board/visit/${encodeURIComponent(card.visit.id)}`);
    } catch (e) {
      setActionError(`${card.visit.patientName} could not be admitted. ${errorText(e)}`);
    } finally {
      setBusy(null);
    }
  }

  function toggleSound() {
    setSoundEnabled(!sound);
    setSound(!sound);
  }

  const patientOf = (id: string) => data.board.visits[id]?.patientName ?? "the patient";

  return (
    <>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2} alignItems={{ sm: "center" }} justifyContent="space-between" sx={{ mb: 2 }}>
        <Box>
          <Typography variant="h1">Today's visits</Typography>
          <Typography variant="body2" color="text.secondary">
            {formatDate(now)} · times in {viewerTimeZone()}
          </Typography>
        </Box>
        <Stack direction="row" spacing={1} alignItems="center">
          <Tooltip title={sound ? "Arrival sound is on" : "Arrival sound is off"}>
            <IconButton aria-label="Arrival sound" aria-pressed={sound} onClick={toggleSound}>
              {sound ? <VolumeUpIcon /> : <VolumeOffIcon />}
            </IconButton>
          </Tooltip>
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setNewOpen(true)}>
            New visit
          </Button>
        </Stack>
      </Stack>

      <ArrivalNotices arrivals={data.arrivals} patientOf={patientOf} onDismiss={data.dismiss} />
      {data.stream === "reconnecting" ? (
        <Alert severity="warning" role="status" sx={{ mb: 2 }}>
          Live updates paused: reconnecting. The board catches up by itself once the connection is back.
        </Alert>
      ) : null}
      {data.stream === "closed" && data.status === "ready" ? (
        <Alert severity="warning" role="status" sx={{ mb: 2 }} action={<Button color="inherit" size="small" onClick={() => window.location.reload()}>Reload</Button>}>
          Live updates have stopped. Reload the page to see new arrivals.
        </Alert>
      ) : null}
      {actionError ? (
        <Alert severity="error" role="alert" sx={{ mb: 2 }} onClose={() => setActionError("")}>
          {actionError}
        </Alert>
      ) : null}
      {info ? (
        <Alert severity="success" role="status" sx={{ mb: 2 }} onClose={() => setInfo("")}>
          {info}
        </Alert>
      ) : null}
      {data.status === "ready" && data.error ? (
        <Alert severity="warning" role="status" sx={{ mb: 2 }} action={<Button color="inherit" size="small" onClick={data.reload}>Try again</Button>}>
          The board could not be refreshed. {errorText(data.error)}
        </Alert>
      ) : null}

      {data.status === "loading" ? <Loading label="Loading today's visits…" /> : null}
      {data.status === "error" ? <ErrorPanel error={data.error} title="Today's visits could not be loaded" onRetry={data.reload} /> : null}
      {data.status === "ready" ? (
        <Box sx={{ display: "grid", gap: 2, alignItems: "start", gridTemplateColumns: { xs: "minmax(0, 1fr)", sm: "repeat(2, minmax(0, 1fr))", lg: "repeat(4, minmax(0, 1fr))" } }}>
          {COLUMNS.map((c) => (
            <Paper key={c.id} component="section" aria-label={c.label} sx={{ p: 1.5, bgcolor: c.id === "waiting" && cols.waiting.length > 0 ? "primary.light" : "background.paper" }}>
              <Typography variant="h2" sx={{ px: 0.5, pb: 1.5 }}>
                {c.label}{" "}
                <Box component="span" sx={{ color: "text.secondary", fontWeight: 400 }}>
                  ({cols[c.id].length})
                </Box>
              </Typography>
              <Stack spacing={1.5}>
                {cols[c.id].length === 0 ? (
                  <Typography variant="body2" color="text.secondary" sx={{ px: 0.5, pb: 1 }}>
                    {c.empty}
                  </Typography>
                ) : (
                  cols[c.id].map((card) => (
                    <VisitCard
                      key={card.visit.id}
                      card={card}
                      column={c.id}
                      now={now}
                      busy={busy === card.visit.id}
                      onAdmit={(cd) => void admit(cd)}
                      onAskToWait={(cd) => setAskWait(cd.visit)}
                      onGetLink={(cd) => setLinkFor(cd.visit)}
                    />
                  ))
                )}
              </Stack>
            </Paper>
          ))}
        </Box>
      ) : null}

      <ToFinish viewer={props.viewer} refreshKey={data.finishedTick} />

      <NewVisitDialog open={newOpen} onClose={() => setNewOpen(false)} me={props.me} />
      <AskToWaitDialog visit={askWait} onClose={() => setAskWait(null)} onSent={(t) => setInfo(`Message sent to ${askWait?.patientName ?? "the patient"}: “${t}”`)} />
      <VisitLinkDialog visit={linkFor} onClose={() => setLinkFor(null)} />
    </>
  );
}
