// Building blocks shared by the admin pages: a page header with its main
// action, a live notice line, and a table that scrolls sideways on phones.
import type { ReactNode } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableContainer from "@mui/material/TableContainer";
import Typography from "@mui/material/Typography";

export function PageHeader(props: { title: string; intro?: ReactNode; action?: ReactNode }) {
  return (
    <Stack direction={{ xs: "column", sm: "row" }} spacing={2} alignItems={{ xs: "stretch", sm: "flex-start" }} justifyContent="space-between" sx={{ mb: 2 }}>
      <Box>
        <Typography variant="h1" gutterBottom={Boolean(props.intro)}>
          {props.title}
        </Typography>
        {props.intro ? <Typography color="text.secondary">{props.intro}</Typography> : null}
      </Box>
      {props.action ? <Box sx={{ flexShrink: 0 }}>{props.action}</Box> : null}
    </Stack>
  );
}

/** A polite live region for "done" messages; empty renders nothing visible. */
export function Notice(props: { text: string; onClose: () => void }) {
  return (
    <Box role="status" aria-live="polite" sx={{ mb: props.text ? 2 : 0 }}>
      {props.text ? (
        <Alert severity="success" onClose={props.onClose}>
          {props.text}
        </Alert>
      ) : null}
    </Box>
  );
}

/**
 * A table in a scrollable, focusable region so that keyboard users can
 * scroll it sideways when it is wider than the screen.
 */
export function DataTable(props: { label: string; children: ReactNode; minWidth?: number }) {
  return (
    <TableContainer component={Paper} role="region" aria-label={props.label} tabIndex={0} sx={{ "&:focus-visible": { outline: "3px solid #0f766e", outlineOffset: 2 } }}>
      <Table size="small" aria-label={props.label} sx={{ minWidth: props.minWidth ?? 720 }}>
        {props.children}
      </Table>
    </TableContainer>
  );
}

/** What an empty list says, with what to do next. */
export function Empty(props: { children: ReactNode }) {
  return (
    <Paper sx={{ p: 3 }}>
      <Typography color="text.secondary">{props.children}</Typography>
    </Paper>
  );
}

/** Hidden on screen, read by screen readers (column headings without a visible label). */
export const visuallyHidden = {
  border: 0,
  clip: "rect(0 0 0 0)",
  height: "1px",
  margin: "-1px",
  overflow: "hidden",
  padding: 0,
  position: "absolute",
  whiteSpace: "nowrap",
  width: "1px",
} as const;
