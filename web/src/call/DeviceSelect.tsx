// A labelled native <select> of devices: native pickers are the most
// usable on phones and with screen readers, and keep the bundle small.
import TextField from "@mui/material/TextField";
import type { DeviceOption } from "./media";

export function DeviceSelect(props: {
  label: string;
  value: string;
  devices: DeviceOption[];
  onChange: (deviceId: string) => void;
  disabled?: boolean;
  /** Shown when there is nothing to choose from. */
  emptyText: string;
  helperText?: string;
}) {
  const empty = props.devices.length === 0;
  return (
    <TextField
      select
      fullWidth
      size="small"
      label={props.label}
      value={empty ? "" : props.value}
      onChange={(e) => props.onChange(e.target.value)}
      disabled={props.disabled || empty}
      helperText={props.helperText}
      slotProps={{ select: { native: true }, inputLabel: { shrink: true } }}
    >
      {empty ? (
        <option value="">{props.emptyText}</option>
      ) : (
        props.devices.map((d) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label}
          </option>
        ))
      )}
    </TextField>
  );
}
