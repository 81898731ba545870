import { useState } from "react";
import Box from "@mui/material/Box";
import IconButton from "@mui/material/IconButton";
import InputAdornment from "@mui/material/InputAdornment";
import LinearProgress from "@mui/material/LinearProgress";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import VisibilityIcon from "@mui/icons-material/Visibility";
import VisibilityOffIcon from "@mui/icons-material/VisibilityOff";
import { passwordStrength } from "./validate";

const COLORS = ["error", "error", "warning", "primary", "success"] as const;

/** A new-password field with show/hide and a live strength hint. */
export function PasswordField(props: { id?: string; value: string; onChange: (v: string) => void; error?: string; optionalHint?: string }) {
  const [show, setShow] = useState(false);
  const s = passwordStrength(props.value);
  const empty = props.value === "";
  return (
    <Box>
      <TextField
        id={props.id}
        label="Password"
        type={show ? "text" : "password"}
        autoComplete="new-password"
        fullWidth
        required={!props.optionalHint}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        error={Boolean(props.error)}
        helperText={props.error || (empty ? props.optionalHint ?? "At least 12 characters. A few unrelated words are easy to type and hard to guess." : " ")}
        slotProps={{
          input: {
            endAdornment: (
              <InputAdornment position="end">
                <IconButton onClick={() => setShow((x) => !x)} aria-label={show ? "Hide password" : "Show password"} edge="end">
                  {show ? <VisibilityOffIcon /> : <VisibilityIcon />}
                </IconButton>
              </InputAdornment>
            ),
          },
        }}
      />
      <Box aria-live="polite" sx={{ mt: 0.5, minHeight: 32 }}>
        {empty ? null : (
          <>
            <LinearProgress variant="determinate" value={s.score * 25} color={COLORS[s.score]} aria-hidden sx={{ height: 6, borderRadius: 3 }} />
            <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
              Password strength: {s.label}
            </Typography>
          </>
        )}
      </Box>
    </Box>
  );
}
