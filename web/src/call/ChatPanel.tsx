// The chat beside the video: the messages of this call (everyone's,
// including one's own once the server has stored them on the visit) and a
// box to write in. Escape closes it.
import { useEffect, useRef, useState, type FormEvent } from "react";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import IconButton from "@mui/material/IconButton";
import Paper from "@mui/material/Paper";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import Close from "@mui/icons-material/Close";
import { formatTime } from "../format";
import type { ChatEntry } from "./state";

export function ChatPanel(props: { messages: ChatEntry[]; connected: boolean; onSend: (text: string) => Promise<boolean>; onClose: () => void }) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLDivElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [props.messages.length]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const t = text.trim();
    if (!t || sending) return;
    setSending(true);
    const ok = await props.onSend(t);
    setSending(false);
    if (ok) setText(""); // kept on failure, to send again
    input.current?.focus();
  }

  return (
    <Paper
      component="aside"
      aria-labelledby="call-chat-title"
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onClose();
      }}
      sx={{ display: "flex", flexDirection: "column", height: "100%", minHeight: 0, overflow: "hidden" }}
    >
      <Box sx={{ display: "flex", alignItems: "center", px: 2, py: 1, borderBottom: 1, borderColor: "divider" }}>
        <Typography id="call-chat-title" variant="h2" sx={{ fontSize: "1.125rem", flex: 1 }}>
          Chat
        </Typography>
        <IconButton aria-label="Close chat" onClick={props.onClose}>
          <Close />
        </IconButton>
      </Box>
      <Box ref={list} role="log" aria-live="polite" aria-label="Chat messages" tabIndex={0} sx={{ flex: 1, overflowY: "auto", px: 2, py: 1.5, minHeight: 0 }}>
        {props.messages.length === 0 ? (
          <Typography color="text.secondary">No messages yet. Messages are saved with your visit.</Typography>
        ) : (
          props.messages.map((m, i) => (
            <Box key={m.id || i} sx={{ mb: 1.5, display: "flex", flexDirection: "column", alignItems: m.local ? "flex-end" : "flex-start" }}>
              <Typography variant="caption" color="text.secondary">
                {m.local ? "You" : m.fromName || "Participant"} · {formatTime(m.time)}
              </Typography>
              <Box
                sx={{
                  bgcolor: m.local ? "primary.light" : "#f3f4f6",
                  color: "text.primary",
                  borderRadius: 2,
                  px: 1.5,
                  py: 0.75,
                  maxWidth: "85%",
                  whiteSpace: "pre-wrap",
                  overflowWrap: "anywhere",
                }}
              >
                {m.text}
              </Box>
            </Box>
          ))
        )}
      </Box>
      <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, p: 1.5, borderTop: 1, borderColor: "divider" }}>
        <TextField
          label="Message"
          value={text}
          onChange={(e) => setText(e.target.value)}
          inputRef={input}
          size="small"
          fullWidth
          autoComplete="off"
          disabled={!props.connected}
          slotProps={{ htmlInput: { maxLength: 1000 } }}
        />
        <Button type="submit" variant="contained" disabled={!props.connected || sending || text.trim() === ""}>
          Send
        </Button>
      </Box>
    </Paper>
  );
}
