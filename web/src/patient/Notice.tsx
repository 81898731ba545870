// A page-sized message with a heading, plain words and what to do next.
import type { ReactNode } from "react";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";

export function Notice(props: { title: string; children: ReactNode; actions?: ReactNode; role?: "alert" | "status" }) {
  return (
    <Paper sx={{ p: { xs: 2.5, sm: 4 } }} role={props.role}>
      <Stack spacing={2}>
        <Typography variant="h1">{props.title}</Typography>
        {typeof props.children === "string" ? <Typography>{props.children}</Typography> : props.children}
        {props.actions ? (
          <Stack direction={{ xs: "column", sm: "row" }} spacing={1.5}>
            {props.actions}
          </Stack>
        ) : null}
      </Stack>
    </Paper>
  );
}
