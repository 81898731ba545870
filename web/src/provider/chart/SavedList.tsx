import { useState } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { Resource } from "../../api/fhir";
import { ErrorPanel, errorText } from "../../components/ErrorPanel";
import type { ChartList } from "./useChart";

export interface Described {
  primary: string;
  secondary?: string;
}

/** What has been saved in one chart section, with Edit and Remove. */
export function SavedList(props: {
  title: string;
  /** "diagnosis", "prescription", "order" */
  noun: string;
  list: ChartList;
  describe: (r: Resource) => Described;
  retracted: (r: Resource) => Resource;
  onEdit: (r: Resource) => void;
  editingId?: string;
}) {
  const { list } = props;
  const [confirm, setConfirm] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function remove(r: Resource) {
    setBusy(true);
    setError("");
    try {
      await list.retract(props.retracted(r));
      setConfirm(null);
    } catch (e) {
      setError(`The ${props.noun} could not be removed. ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box component="section" aria-label={props.title} sx={{ mt: 3 }}>
      <Typography variant="h3" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {list.status === "loading" ? <Typography color="text.secondary">Loading…</Typography> : null}
      {list.status === "error" ? <ErrorPanel error={list.error} title="Could not load what was saved" onRetry={list.reload} /> : null}
      {list.status === "ready" && list.items.length === 0 ? <Typography color="text.secondary">Nothing saved yet.</Typography> : null}
      {error ? <Alert severity="error" role="alert" sx={{ mb: 1 }} onClose={() => setError("")}>{error}</Alert> : null}
      <Stack component="ul" spacing={1} sx={{ listStyle: "none", m: 0, p: 0 }}>
        {list.items.map((r) => {
          const d = props.describe(r);
          const editing = props.editingId === r.id;
          return (
            <Box component="li" key={r.id} sx={{ border: 1, borderColor: editing ? "primary.main" : "divider", borderRadius: 1, p: 1.5 }}>
              <Typography sx={{ fontWeight: 600, overflowWrap: "anywhere" }}>{d.primary}</Typography>
              {d.secondary ? (
                <Typography variant="body2" color="text.secondary" sx={{ overflowWrap: "anywhere" }}>
                  {d.secondary}
                </Typography>
              ) : null}
              {confirm === r.id ? (
                <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap sx={{ mt: 1 }} role="group" aria-label={`Remove ${d.primary}?`}>
                  <Typography variant="body2">Remove this {props.noun}? It stays in the record, marked as withdrawn.</Typography>
                  <Button size="small" color="error" variant="contained" disabled={busy} onClick={() => void remove(r)}>
                    Yes, remove
                  </Button>
                  <Button size="small" disabled={busy} onClick={() => setConfirm(null)}>
                    Keep
                  </Button>
                </Stack>
              ) : (
                <Stack direction="row" spacing={1} sx={{ mt: 0.5 }}>
                  <Button size="small" aria-label={`Edit ${d.primary}`} onClick={() => props.onEdit(r)} disabled={editing}>
                    Edit
                  </Button>
                  <Button size="small" color="error" aria-label={`Remove ${d.primary}`} onClick={() => setConfirm(r.id ?? null)}>
                    Remove
                  </Button>
                </Stack>
              )}
            </Box>
          );
        })}
      </Stack>
    </Box>
  );
}
