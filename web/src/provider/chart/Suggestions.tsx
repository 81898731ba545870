import Chip from "@mui/material/Chip";
import Stack from "@mui/material/Stack";

/** Common values for a free-text field, one click each (the field stays a plain textbox). */
export function Suggestions(props: { field: string; options: string[]; onPick: (v: string) => void }) {
  return (
    <Stack direction="row" spacing={0.5} flexWrap="wrap" useFlexGap role="group" aria-label={`Suggestions for ${props.field}`} sx={{ mt: 0.5 }}>
      {props.options.map((o) => (
        <Chip key={o} label={o} size="small" variant="outlined" onClick={() => props.onPick(o)} />
      ))}
    </Stack>
  );
}
