// "Join a video visit": a guest (interpreter, family member) confirms the
// name the others will see.
import { useState, type FormEvent } from "react";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";

export const NAME_MAX = 200;

const ROLE_WORDS: Record<string, string> = {
  interpreter: "as an interpreter",
  family: "as a family member",
};

/** The problem with a typed name, or "". */
export function nameProblem(name: string): string {
  const n = name.trim();
  if (!n) return "Please enter your name so the others know who joined.";
  if (n.length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return "";
}

export function NameStep(props: { initialName: string; role: string; practitioners: string[]; onDone: (name: string) => void }) {
  const [name, setName] = useState(props.initialName);
  const [error, setError] = useState("");
  const as = ROLE_WORDS[props.role] ?? "";
  const with_ = props.practitioners.length ? ` with ${props.practitioners.join(" and ")}` : "";

  function submit(e: FormEvent) {
    e.preventDefault();
    const p = nameProblem(name);
    setError(p);
    if (p) {
      document.getElementById("guest-name")?.focus();
      return;
    }
    props.onDone(name.trim());
  }

  return (
    <Paper sx={{ p: { xs: 2.5, sm: 4 } }}>
      <form noValidate onSubmit={submit} aria-labelledby="guest-heading">
        <Stack spacing={3}>
          <div>
            <Typography variant="h1" id="guest-heading" gutterBottom>
              Join a video visit
            </Typography>
            <Typography color="text.secondary">
              You've been invited to join a video visit{with_}
              {as ? ` ${as}` : ""}. Check your name below — it's what the others in the call will see.
            </Typography>
          </div>
          <TextField
            id="guest-name"
            label="Your name"
            required
            fullWidth
            autoComplete="name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (error) setError("");
            }}
            error={!!error}
            helperText={error || undefined}
            slotProps={{ htmlInput: { maxLength: NAME_MAX } }}
          />
          <div>
            <Button type="submit" variant="contained" size="large">
              Continue
            </Button>
          </div>
        </Stack>
      </form>
    </Paper>
  );
}
