import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { formatTime, formatWaited } from "../../format";
import { navigate } from "../../router";
import type { BoardCard, BoardEntry, ColumnId } from "./model";

export interface CardActions {
  onAdmit(card: BoardCard): void;
  onAskToWait(card: BoardCard): void;
  onGetLink(card: BoardCard): void;
}

const ROLE_WORDS: Record<string, string> = { interpreter: "interpreter", family: "family member", patient: "patient" };

function roleWord(e: BoardEntry): string {
  return ROLE_WORDS[e.role] ?? e.role;
}

function when(card: BoardCard, column: ColumnId, now: number): string {
  const v = card.visit;
  switch (column) {
    case "scheduled":
      return v.start ? `Starts ${formatTime(v.start)}` : "Not scheduled yet";
    case "waiting":
      if (card.waitingSince) return `Waiting ${formatWaited(card.waitingSince, now)} · arrived ${formatTime(card.waitingSince)}`;
      return card.admitted.length > 0 ? "Admitted, joining the call" : "Checked in";
    case "inCall":
      return v.start ? `Started ${formatTime(v.start)}` : "In the call";
    case "finished":
      return v.end ? `Ended ${formatTime(v.end)}` : "Finished";
  }
}

/** One visit on the board: an article named after the patient. */
export function VisitCard(props: { card: BoardCard; column: ColumnId; now: number; busy?: boolean } & CardActions) {
  const { card, column, now } = props;
  const v = card.visit;
  const others = card.waiting.filter((e) => e.role !== "patient");
  const message = card.waiting.find((e) => e.message)?.message;
  const open = () => navigate(`/board/visit/${encodeURIComponent(v.id)}`);
  const waitedMin = card.waitingSince ? (now - Date.parse(card.waitingSince)) / 60000 : 0;
  return (
    <Paper component="article" aria-label={v.patientName} sx={{ p: 2, borderLeft: 4, borderLeftColor: column === "waiting" ? "primary.main" : "divider" }}>
      <Stack spacing={1}>
        <Typography variant="h3" component="h3" sx={{ overflowWrap: "anywhere" }}>
          {v.patientName}
        </Typography>
        <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap>
          <Typography variant="body2" color={column === "waiting" && waitedMin >= 10 ? "warning.main" : "text.secondary"}>
            {when(card, column, now)}
          </Typography>
          {card.admitted.length > 0 && column !== "inCall" ? <Chip size="small" label="Admitted" color="success" variant="outlined" /> : null}
        </Stack>
        {v.reason ? (
          <Typography variant="body2">
            <Box component="span" sx={{ color: "text.secondary" }}>Reason: </Box>
            {v.reason}
          </Typography>
        ) : null}
        {others.length > 0 ? (
          <Typography variant="body2">
            {others.length < card.waiting.length ? "Also waiting" : "Waiting to join"}: {others.map((e) => `${e.name} (${roleWord(e)}, ${formatWaited(e.arrivedAt, now)})`).join(", ")}
          </Typography>
        ) : null}
        {message ? (
          <Typography variant="body2" color="text.secondary">
            Your message ({formatTime(message.time)}): “{message.text}”
          </Typography>
        ) : null}
        <Stack direction="row" spacing={1} flexWrap="wrap" useFlexGap sx={{ pt: 0.5 }}>
          {column !== "finished" && card.waiting.length > 0 ? (
            <>
              <Button variant="contained" size="small" disabled={props.busy} onClick={() => props.onAdmit(card)}>
                Admit
              </Button>
              <Button variant="outlined" size="small" disabled={props.busy} onClick={() => props.onAskToWait(card)}>
                Ask to wait
              </Button>
            </>
          ) : null}
          {column === "waiting" && card.waiting.length === 0 ? (
            <Button variant="contained" size="small" onClick={open}>
              Open visit
            </Button>
          ) : null}
          {column === "scheduled" && card.waiting.length === 0 ? (
            <>
              <Button variant="outlined" size="small" onClick={open}>
                Open visit
              </Button>
              <Button size="small" onClick={() => props.onGetLink(card)}>
                Get visit link
              </Button>
            </>
          ) : null}
          {column === "inCall" && card.waiting.length === 0 ? (
            <Button variant="outlined" size="small" onClick={open}>
              Return to visit
            </Button>
          ) : null}
          {column === "finished" ? (
            <Button size="small" onClick={open}>
              Open chart
            </Button>
          ) : null}
        </Stack>
      </Stack>
    </Paper>
  );
}
