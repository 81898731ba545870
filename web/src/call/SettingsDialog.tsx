// Switching camera, microphone and speaker during the call, and how the
// connection is doing (from the SDK's statistics).
import { useEffect, useState } from "react";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { DeviceSelect } from "./DeviceSelect";
import { listDevices, onDeviceChange, supportsSpeakerChoice, type DeviceLists } from "./media";
import { keepChoice } from "./precheck";
import type { ConnectionInfo, SelectedDevices } from "./state";

function connectionWords(c: ConnectionInfo | null): string {
  if (!c) return "Measuring your connection…";
  const path = c.relayed ? "Video goes through our relay because your network blocks direct video." : "Video travels directly to the video service.";
  if (c.rttMs < 0) return path;
  const speed = c.rttMs <= 150 ? "quick" : c.rttMs <= 300 ? "fair" : "slow";
  return `${path} Round trip to the server: ${Math.round(c.rttMs)} ms (${speed}).`;
}

export function SettingsDialog(props: {
  open: boolean;
  onClose: () => void;
  selected: SelectedDevices;
  connection: ConnectionInfo | null;
  onCamera: (id: string) => void;
  onMicrophone: (id: string) => void;
  onSpeaker: (id: string) => void;
}) {
  const [lists, setLists] = useState<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
  useEffect(() => {
    if (!props.open) return;
    let live = true;
    const load = () => void listDevices().then((l) => live && setLists(l));
    load();
    const off = onDeviceChange(load);
    return () => {
      live = false;
      off();
    };
  }, [props.open]);
  const sink = supportsSpeakerChoice();
  const change = (current: string, fn: (id: string) => void) => (id: string) => {
    if (id !== current) fn(id);
  };
  const cam = keepChoice(props.selected.camera, lists.cameras);
  const mic = keepChoice(props.selected.microphone, lists.microphones);
  const spk = keepChoice(props.selected.speaker, lists.speakers);
  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth maxWidth="xs" aria-labelledby="call-settings-title">
      <DialogTitle id="call-settings-title">Settings</DialogTitle>
      <DialogContent>
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          <DeviceSelect label="Camera" value={cam} devices={lists.cameras} onChange={change(cam, props.onCamera)} emptyText="No camera found" />
          <DeviceSelect label="Microphone" value={mic} devices={lists.microphones} onChange={change(mic, props.onMicrophone)} emptyText="No microphone found" />
          <DeviceSelect
            label="Speaker"
            value={spk}
            devices={sink ? lists.speakers : []}
            onChange={change(spk, props.onSpeaker)}
            emptyText="Default speaker"
            helperText={sink ? undefined : "This browser plays the call on your device's default speaker. Change it in your device's sound settings."}
          />
          <div>
            <Typography variant="h3" component="h3" sx={{ fontSize: "1rem", mb: 0.5 }}>
              Connection
            </Typography>
            <Typography color="text.secondary">{connectionWords(props.connection)}</Typography>
          </div>
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Done</Button>
      </DialogActions>
    </Dialog>
  );
}
