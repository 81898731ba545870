// Whether an account or client is active, and the button that flips it.
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";

export function StatusChip(props: { disabled: boolean }) {
  return props.disabled ? <Chip size="small" label="Disabled" color="error" variant="outlined" /> : <Chip size="small" label="Active" color="success" variant="outlined" />;
}

/** "Enable" or "Disable" for one row; lockedReason keeps Disable off and says why. */
export function EnableButton(props: { disabled: boolean; name: string; onEnable: () => void; onDisable: () => void; lockedReason?: string }) {
  if (props.disabled) {
    return (
      <Button size="small" variant="outlined" onClick={props.onEnable} aria-label={`Enable ${props.name}`}>
        Enable
      </Button>
    );
  }
  return (
    <Button
      size="small"
      variant="outlined"
      color="error"
      onClick={props.onDisable}
      aria-label={`Disable ${props.name}`}
      disabled={Boolean(props.lockedReason)}
      title={props.lockedReason}
    >
      Disable
    </Button>
  );
}
