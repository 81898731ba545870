import { useState } from "react";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import ContentCopyIcon from "@mui/icons-material/ContentCopy";

/** A read-only value with a Copy button that says whether copying worked. */
export function CopyField(props: { label: string; value: string; copyLabel?: string }) {
  const [status, setStatus] = useState("");
  const id = `copy-${props.label.replace(/\W+/g, "-").toLowerCase()}`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(props.value);
      setStatus("Copied.");
    } catch {
      // Clipboard access can be refused (insecure origin, browser policy).
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.select();
      setStatus("Copying was blocked by the browser. The text is selected: press Ctrl+C (or ⌘+C) to copy it.");
    }
  }

  return (
    <Stack spacing={0.5}>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={1} alignItems={{ xs: "stretch", sm: "center" }}>
        <TextField
          id={id}
          label={props.label}
          value={props.value}
          fullWidth
          slotProps={{ htmlInput: { readOnly: true, spellCheck: false, style: { fontFamily: "ui-monospace, monospace" } } }}
          onFocus={(e) => e.target.select()}
        />
        <Button variant="outlined" startIcon={<ContentCopyIcon aria-hidden />} onClick={() => void copy()} sx={{ flexShrink: 0 }}>
          {props.copyLabel ?? "Copy"}
        </Button>
      </Stack>
      <Typography role="status" aria-live="polite" variant="body2" color="text.secondary">
        {status}
      </Typography>
    </Stack>
  );
}
