// The control bar at the bottom of the call: microphone, camera, screen,
// chat (with unread count), settings, the app's own buttons, and leave.
// Large touch targets; it wraps rather than overflows on a phone.
import type { ReactNode } from "react";
import Badge from "@mui/material/Badge";
import Box from "@mui/material/Box";
import IconButton from "@mui/material/IconButton";
import Tooltip from "@mui/material/Tooltip";
import CallEnd from "@mui/icons-material/CallEnd";
import Chat from "@mui/icons-material/Chat";
import Mic from "@mui/icons-material/Mic";
import MicOff from "@mui/icons-material/MicOff";
import ScreenShare from "@mui/icons-material/ScreenShare";
import Settings from "@mui/icons-material/Settings";
import StopScreenShare from "@mui/icons-material/StopScreenShare";
import Videocam from "@mui/icons-material/Videocam";
import VideocamOff from "@mui/icons-material/VideocamOff";

// 46 px on phones keeps six buttons on one row at 360 px; still a comfortable touch target.
const round = {
  width: { xs: 46, sm: 52 },
  height: { xs: 46, sm: 52 },
  bgcolor: "#374151",
  color: "#fff",
  "&:hover": { bgcolor: "#4b5563" },
  "&.Mui-disabled": { bgcolor: "#374151", color: "#9ca3af" },
} as const;

const off = { ...round, bgcolor: "#f3f4f6", color: "#b91c1c", "&:hover": { bgcolor: "#e5e7eb" } } as const;

function Control(props: { label: string; onClick: () => void; active?: boolean; children: ReactNode; disabled?: boolean; describedBy?: string; expanded?: boolean; danger?: boolean }) {
  const button = (
    <IconButton
      aria-label={props.label}
      aria-describedby={props.describedBy}
      aria-expanded={props.expanded}
      onClick={props.onClick}
      disabled={props.disabled}
      sx={props.danger ? { ...round, width: { xs: 58, sm: 64 }, borderRadius: 26, bgcolor: "#b91c1c", "&:hover": { bgcolor: "#991b1b" } } : props.active ? off : round}
    >
      {props.children}
    </IconButton>
  );
  // A tooltip needs an element that receives pointer events; disabled buttons do not.
  return props.disabled ? button : <Tooltip title={props.label}>{button}</Tooltip>;
}

export interface ControlsProps {
  connected: boolean;
  micMuted: boolean;
  cameraOff: boolean;
  sharing: boolean;
  canShare: boolean;
  chatOpen: boolean;
  unread: number;
  extra?: ReactNode;
  onMic: () => void;
  onCamera: () => void;
  onScreen: () => void;
  onChat: () => void;
  onSettings: () => void;
  onLeave: () => void;
}

export function Controls(p: ControlsProps) {
  return (
    <Box
      component="nav"
      aria-label="Call controls"
      sx={{ display: "flex", flexWrap: "wrap", alignItems: "center", justifyContent: "center", gap: { xs: 0.75, sm: 1.5 }, px: 1, py: { xs: 1, sm: 1.25 } }}
    >
      <Control label={p.micMuted ? "Unmute microphone" : "Mute microphone"} onClick={p.onMic} active={p.micMuted} disabled={!p.connected}>
        {p.micMuted ? <MicOff /> : <Mic />}
      </Control>
      <Control label={p.cameraOff ? "Turn camera on" : "Turn camera off"} onClick={p.onCamera} active={p.cameraOff} disabled={!p.connected}>
        {p.cameraOff ? <VideocamOff /> : <Videocam />}
      </Control>
      {p.canShare ? (
        <Control label={p.sharing ? "Stop sharing" : "Share screen"} onClick={p.onScreen} disabled={!p.connected}>
          {p.sharing ? <StopScreenShare /> : <ScreenShare />}
        </Control>
      ) : null}
      <Control label="Chat" onClick={p.onChat} expanded={p.chatOpen} describedBy={p.unread > 0 ? "call-unread" : undefined}>
        <Badge badgeContent={p.unread} color="error" max={99}>
          <Chat />
        </Badge>
      </Control>
      {p.unread > 0 ? (
        <span id="call-unread" hidden>
          {p.unread === 1 ? "1 unread message" : `${p.unread} unread messages`}
        </span>
      ) : null}
      <Control label="Settings" onClick={p.onSettings}>
        <Settings />
      </Control>
      {p.extra}
      <Control label="Leave call" onClick={p.onLeave} danger>
        <CallEnd />
      </Control>
    </Box>
  );
}
