// A problem in plain words with the steps to fix it and the actions that
// may help (try again, join without the camera, …).
import type { ReactNode } from "react";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import type { Problem } from "./problems";

export function ProblemPanel(props: { problem: Problem; actions?: ReactNode; onClose?: () => void; compact?: boolean }) {
  const { problem } = props;
  return (
    <Alert
      severity={problem.severity}
      role={problem.severity === "error" ? "alert" : "status"}
      onClose={props.onClose}
      closeText="Dismiss"
      sx={{ textAlign: "left" }}
    >
      <AlertTitle>{problem.title}</AlertTitle>
      {problem.text}
      {problem.steps.length > 0 && !props.compact ? (
        <Box component={problem.steps.length > 1 ? "ol" : "ul"} sx={{ m: 0, mt: 1, pl: 2.5 }}>
          {problem.steps.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </Box>
      ) : null}
      {problem.steps.length > 0 && props.compact ? <Box sx={{ mt: 0.5 }}>{problem.steps.join(" ")}</Box> : null}
      {props.actions ? <Box sx={{ display: "flex", flexWrap: "wrap", gap: 1, mt: 1.5 }}>{props.actions}</Box> : null}
    </Alert>
  );
}
