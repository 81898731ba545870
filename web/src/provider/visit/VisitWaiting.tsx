import { useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import { errorText } from "../../components/ErrorPanel";
import { formatWaited } from "../../format";
import { useNow } from "../common/useNow";
import type { VisitLive } from "./useVisitLive";

const ROLE: Record<string, string> = { interpreter: "interpreter", family: "family member" };

/** "<name> is waiting" with Admit, for people arriving while the provider is on the visit page. */
export function VisitWaiting(props: { live: VisitLive }) {
  const now = useNow(30_000);
  const [busy, setBusy] = useState("");
  const [error, setError] = useState("");
  if (props.live.waiting.length === 0 && !error) return null;

  async function admit(key: string, name: string) {
    setBusy(key);
    setError("");
    try {
      await props.live.admit(key);
    } catch (e) {
      setError(`${name} could not be admitted. ${errorText(e)}`);
    } finally {
      setBusy("");
    }
  }

  return (
    <Stack spacing={1} sx={{ mb: 1 }}>
      {props.live.waiting.map((e) => (
        <Alert
          key={e.key}
          severity="info"
          variant="filled"
          role="status"
          sx={{ bgcolor: "primary.main", color: "primary.contrastText" }}
          action={
            <Button color="inherit" variant="outlined" size="small" disabled={busy === e.key} onClick={() => void admit(e.key, e.name)}>
              Admit
            </Button>
          }
        >
          <strong>{e.name} is waiting</strong>
          {ROLE[e.role] ? ` (${ROLE[e.role]})` : ""} · {formatWaited(e.arrivedAt, now)}
        </Alert>
      ))}
      {error ? (
        <Alert severity="error" role="alert" onClose={() => setError("")}>
          {error}
        </Alert>
      ) : null}
    </Stack>
  );
}
