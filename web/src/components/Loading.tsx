import Box from "@mui/material/Box";
import CircularProgress from "@mui/material/CircularProgress";
import Typography from "@mui/material/Typography";

export function Loading(props: { label?: string }) {
  return (
    <Box role="status" aria-live="polite" sx={{ display: "flex", alignItems: "center", gap: 2, justifyContent: "center", py: 6 }}>
      <CircularProgress size={28} aria-hidden />
      <Typography color="text.secondary">{props.label ?? "Loading…"}</Typography>
    </Box>
  );
}
