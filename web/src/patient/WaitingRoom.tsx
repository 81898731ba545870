// The waiting room screen (patients and guests): where they are in line,
// the provider's messages, and a calm note that the call starts by itself.
import { useEffect } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import CircularProgress from "@mui/material/CircularProgress";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { ErrorPanel } from "../components/ErrorPanel";
import { formatDateTime, formatTime } from "../format";
import { waitingDetail, waitingHeadline, type WaitingView } from "./waiting";

export interface WaitingRoomProps {
  view: WaitingView;
  error: unknown;
  onRetry: () => void;
  practitioners?: string[];
  start?: string;
  /** Patients get tips about preparing for the visit; guests don't need them. */
  tips?: boolean;
}

export function WaitingRoom(props: WaitingRoomProps) {
  const { view, error } = props;
  const headline = waitingHeadline(view);
  const detail = waitingDetail(view);

  useEffect(() => {
    const before = document.title;
    document.title = view.phase === "admitted" ? "Joining your visit · Housecall" : "Waiting room · Housecall";
    return () => {
      document.title = before;
    };
  }, [view.phase]);

  const with_ = props.practitioners?.length ? ` with ${props.practitioners.join(" and ")}` : "";
  return (
    <Paper sx={{ p: { xs: 2.5, sm: 4 } }}>
      <Stack spacing={3}>
        <div>
          <Typography variant="h1" gutterBottom>
            Waiting room
          </Typography>
          {with_ || props.start ? (
            <Typography color="text.secondary">
              Your video visit{with_}
              {props.start ? `, ${formatDateTime(props.start)}` : ""}.
            </Typography>
          ) : null}
        </div>
        <Box role="status" aria-live="polite" sx={{ display: "flex", gap: 2, alignItems: "flex-start" }}>
          <CircularProgress size={28} aria-hidden sx={{ mt: 0.5, flexShrink: 0 }} />
          <div>
            <Typography variant="h2" component="p">
              {headline}
            </Typography>
            {detail ? (
              <Typography color="text.secondary" sx={{ mt: 0.5 }}>
                {detail}
              </Typography>
            ) : null}
          </div>
        </Box>
        {view.stream === "reconnecting" ? (
          <Alert severity="warning">Reconnecting to the waiting room… You keep your place in line.</Alert>
        ) : null}
        {error ? <ErrorPanel error={error} onRetry={props.onRetry} /> : null}
        {view.messages.length > 0 ? (
          <Box component="section" aria-labelledby="wait-messages">
            <Typography variant="h3" component="h2" id="wait-messages" gutterBottom>
              Messages from your provider
            </Typography>
            <Stack spacing={1} role="log" aria-live="polite">
              {view.messages.map((m) => (
                <Alert key={`${m.time}-${m.text}`} severity="info" icon={false}>
                  <Typography component="span" sx={{ display: "block", whiteSpace: "pre-wrap" }}>
                    {m.text}
                  </Typography>
                  <Typography component="span" variant="body2" color="text.secondary">
                    {formatTime(m.time)}
                  </Typography>
                </Alert>
              ))}
            </Stack>
          </Box>
        ) : null}
        {view.arrivedAt ? <Typography color="text.secondary">You checked in at {formatTime(view.arrivedAt)}.</Typography> : null}
        {props.tips ? (
          <Box component="section" aria-labelledby="wait-tips">
            <Typography variant="h3" component="h2" id="wait-tips" gutterBottom>
              While you wait
            </Typography>
            <Box component="ul" sx={{ m: 0, pl: 3, color: "text.secondary" }}>
              <li>Find a quiet, private place with good light on your face.</li>
              <li>Plug in your device if the battery is low.</li>
              <li>Have your medicines and any questions for your provider at hand.</li>
            </Box>
          </Box>
        ) : null}
      </Stack>
    </Paper>
  );
}
