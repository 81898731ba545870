import { useEffect, useState } from "react";
import Box from "@mui/material/Box";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemText from "@mui/material/ListItemText";
import Paper from "@mui/material/Paper";
import Typography from "@mui/material/Typography";
import { fhir } from "../../auth/session";
import { ErrorPanel } from "../../components/ErrorPanel";
import { formatDateTime } from "../../format";
import { navigate } from "../../router";
import { loadToFinish, type Viewer } from "./data";
import type { BoardVisit } from "./model";

/** Visits of the last 7 days whose visit note is not final yet. */
export function ToFinish(props: { viewer: Viewer; refreshKey: number }) {
  const [items, setItems] = useState<BoardVisit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const { viewer, refreshKey } = props;

  useEffect(() => {
    let live = true;
    loadToFinish(fhir, viewer).then(
      (v) => {
        if (!live) return;
        setItems(v);
        setError(null);
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [viewer, refreshKey, attempt]);

  return (
    <Paper component="section" aria-labelledby="to-finish-title" sx={{ p: 2, mt: 3 }}>
      <Typography id="to-finish-title" variant="h2" gutterBottom>
        To finish
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        Visits of the last 7 days without a final visit note.
      </Typography>
      {error ? <ErrorPanel error={error} title="The list could not be loaded" onRetry={() => setAttempt((n) => n + 1)} /> : null}
      {!error && items === null ? <Typography color="text.secondary">Loading…</Typography> : null}
      {items && items.length === 0 ? <Typography>All caught up: every recent visit has a final note.</Typography> : null}
      {items && items.length > 0 ? (
        <List dense disablePadding>
          {items.map((v) => (
            <ListItem key={v.id} disablePadding>
              <ListItemButton onClick={() => navigate(`/board/visit/${encodeURIComponent(v.id)}`)}>
                <ListItemText primary={v.patientName} secondary={`Ended ${formatDateTime(v.end ?? v.start)}${v.reason ? ` · ${v.reason}` : ""}`} />
                <Box component="span" sx={{ color: "primary.main", fontWeight: 600, ml: 2, flexShrink: 0 }} aria-hidden>
                  Finish chart
                </Box>
              </ListItemButton>
            </ListItem>
          ))}
        </List>
      ) : null}
    </Paper>
  );
}
