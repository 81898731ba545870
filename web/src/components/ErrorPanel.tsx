import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Button from "@mui/material/Button";
import { ApiError } from "../api/http";

/** A plain-language message for a person, with what to do next. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error && e.message) return e.message;
  return "Something went wrong. Please try again.";
}

export function ErrorPanel(props: { error: unknown; title?: string; onRetry?: () => void; retryLabel?: string }) {
  return (
    <Alert
      severity="error"
      role="alert"
      action={
        props.onRetry ? (
          <Button color="inherit" size="small" onClick={props.onRetry}>
            {props.retryLabel ?? "Try again"}
          </Button>
        ) : undefined
      }
    >
      {props.title ? <AlertTitle>{props.title}</AlertTitle> : null}
      {errorText(props.error)}
    </Alert>
  );
}
