import { useRef, useState } from "react";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import { copyText } from "./clipboard";

/** A read-only link with a "Copy link" button and a spoken confirmation. */
export function CopyField(props: { label: string; value: string; helperText?: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const [result, setResult] = useState<"" | "copied" | "failed">("");
  async function copy() {
    const ok = await copyText(props.value, ref.current);
    if (!ok) {
      ref.current?.focus();
      ref.current?.select();
    }
    setResult(ok ? "copied" : "failed");
  }
  return (
    <Stack spacing={1}>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={1} alignItems={{ sm: "flex-start" }}>
        <TextField
          label={props.label}
          value={props.value}
          inputRef={ref}
          fullWidth
          helperText={props.helperText}
          onFocus={(e) => e.target.select()}
          slotProps={{ htmlInput: { readOnly: true, spellCheck: false } }}
        />
        <Button variant="outlined" startIcon={<ContentCopyIcon />} onClick={() => void copy()} sx={{ flexShrink: 0, minHeight: 56 }}>
          Copy link
        </Button>
      </Stack>
      <Typography role="status" variant="body2" color={result === "failed" ? "warning.main" : "success.main"} sx={{ minHeight: "1.5em" }}>
        {result === "copied" ? "Link copied. Paste it into a message to the person." : null}
        {result === "failed" ? "Your browser did not allow copying. The link is selected: press Ctrl+C (⌘C on a Mac) to copy it." : null}
      </Typography>
    </Stack>
  );
}
