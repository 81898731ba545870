import { useEffect, useRef, useState } from "react";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import type { Invitation } from "../../api/telemed";
import { telemed } from "../../auth/session";
import { errorText } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { formatDateTime } from "../../format";
import { CopyField } from "../common/CopyField";

export function looksLikeEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.trim());
}

/**
 * The patient's invitation to a visit: created when shown, then copied or
 * e-mailed (the e-mail carries its own link; both work).
 */
export function InviteLinkPanel(props: { encounterId: string; patientName: string; defaultEmail?: string }) {
  const [inv, setInv] = useState<Invitation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [email, setEmail] = useState(props.defaultEmail ?? "");
  const [emailError, setEmailError] = useState("");
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<{ to: string; ok: boolean } | null>(null);
  const started = useRef("");

  function create() {
    setError(null);
    telemed.invite(props.encounterId, { role: "patient" }).then(setInv, setError);
  }

  useEffect(() => {
    // Once per visit, even when React runs effects twice in development.
    if (started.current === props.encounterId) return;
    started.current = props.encounterId;
    create();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.encounterId]);

  async function send() {
    const to = email.trim();
    if (!looksLikeEmail(to)) {
      setEmailError("Enter an e-mail address such as name@example.com.");
      return;
    }
    setEmailError("");
    setSending(true);
    setSent(null);
    try {
      const r = await telemed.invite(props.encounterId, { role: "patient", email: to });
      setSent({ to, ok: r.emailed !== false });
    } catch (e) {
      setEmailError(errorText(e));
    } finally {
      setSending(false);
    }
  }

  if (error) {
    return (
      <Alert severity="error" role="alert" action={<Button color="inherit" size="small" onClick={create}>Try again</Button>}>
        The visit was created, but its link could not be made. {errorText(error)}
      </Alert>
    );
  }
  if (!inv) return <Loading label="Making the visit link…" />;
  return (
    <Stack spacing={2}>
      <CopyField
        label="Visit link"
        value={inv.url}
        helperText={`Send this link to ${props.patientName}. It works until ${formatDateTime(inv.expiresAt)}.`}
      />
      <Stack component="form" direction={{ xs: "column", sm: "row" }} spacing={1} alignItems={{ sm: "flex-start" }} noValidate
        onSubmit={(e) => { e.preventDefault(); void send(); }}>
        <TextField
          label="Patient's e-mail"
          type="email"
          autoComplete="off"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={!!emailError}
          helperText={emailError || "Optional. The e-mail contains the link and no medical details."}
          fullWidth
        />
        <Button type="submit" variant="outlined" disabled={sending} sx={{ flexShrink: 0, minHeight: 56 }}>
          {sending ? "Sending…" : "Send by e-mail"}
        </Button>
      </Stack>
      {sent ? (
        <Typography role="status" color={sent.ok ? "success.main" : "warning.main"}>
          {sent.ok ? `The link is on its way to ${sent.to}.` : "The e-mail could not be sent. Copy the link and send it another way."}
        </Typography>
      ) : null}
    </Stack>
  );
}
