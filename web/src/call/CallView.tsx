// The video call screen shared by patients, guests and providers: the
// video stage, the controls, chat, device settings, the reconnecting
// banner, and plain-language help when joining fails. The app supplies the
// join answer, its own buttons and side panel, and what happens after.
import { useState, type ReactNode } from "react";
import type { JoinResponse } from "@housecall/sdk";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import Typography from "@mui/material/Typography";
import VolumeUp from "@mui/icons-material/VolumeUp";
import { ChatPanel } from "./ChatPanel";
import { Controls } from "./Controls";
import { canShareScreen } from "./media";
import { ProblemPanel } from "./ProblemPanel";
import { joinFallbacks } from "./problems";
import { RemoteAudio } from "./RemoteAudio";
import { SettingsDialog } from "./SettingsDialog";
import { Stage } from "./Stage";
import { bannerOf, layoutOf, type LeaveReason } from "./state";
import { TopBar } from "./TopBar";
import { useCall } from "./useCall";

export interface CallViewProps {
  /** Fetches a fresh join answer (called again to rejoin). */
  join: () => Promise<JoinResponse>;
  role: "host" | "participant" | "guest";
  displayName: string;
  /** Beside the video on wide screens, below it on phones (the provider's chart). */
  sidePanel?: ReactNode;
  /** More buttons in the control bar (the provider's "Invite guest", "End visit"). */
  extraControls?: ReactNode;
  /** The call is over: left by the person, ended for everyone, or the person was removed. */
  onLeft: (reason: LeaveReason) => void;
  /** Devices chosen in the pre-call check. */
  devices?: { audioDeviceId?: string; videoDeviceId?: string; speakerDeviceId?: string };
}

// On phones the call is exactly one screen tall (the side panel follows below). It must not flex there:
// a flexed height inside a column of indefinite height is not definite, and the stage's percentages would collapse.
const fullHeight = { height: "100vh", "@supports (height: 100dvh)": { height: "100dvh" } } as const;

export function CallView(props: CallViewProps) {
  const [state, ctrl] = useCall({ join: props.join, displayName: props.displayName, onLeft: props.onLeft, devices: props.devices });
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [shareable] = useState(canShareScreen);
  const connected = state.phase === "connected" || state.phase === "reconnecting";
  const layout = layoutOf(state);
  const banner = bannerOf(state);
  const inCallProblem = connected ? state.problem : null;
  const closeChat = () => {
    ctrl.setChatOpen(false);
    // Back to the button that opened it, for keyboard users.
    requestAnimationFrame(() => document.querySelector<HTMLElement>('nav[aria-label="Call controls"] button[aria-label="Chat"]')?.focus());
  };

  let body: ReactNode;
  if (state.phase === "failed" && state.problem) {
    const fallbacks = joinFallbacks(state.problem.kind, ctrl.capture);
    body = (
      <Box sx={{ height: "100%", overflowY: "auto", display: "flex", alignItems: "center", justifyContent: "center", p: 2 }}>
        <Box sx={{ maxWidth: 560, width: "100%" }}>
          <ProblemPanel
            problem={state.problem}
            actions={
              <>
                {state.problem.retry ? (
                  <Button variant="contained" color="primary" onClick={() => void ctrl.start()}>
                    {state.problem.kind === "connection-lost" || state.problem.kind === "joined-elsewhere" ? "Rejoin the visit" : "Try again"}
                  </Button>
                ) : null}
                {fallbacks.map((f) => (
                  <Button key={f.label} variant="outlined" color="inherit" onClick={() => void ctrl.start(f.capture)}>
                    {f.label}
                  </Button>
                ))}
              </>
            }
          />
        </Box>
      </Box>
    );
  } else if (state.phase === "joining" || state.phase === "ended") {
    body = (
      <Box role="status" sx={{ height: "100%", display: "flex", alignItems: "center", justifyContent: "center", gap: 2, color: "#e5e7eb" }}>
        <CircularProgress size={28} color="inherit" aria-hidden />
        <Typography>{state.phase === "ended" ? "Leaving the visit…" : "Joining the visit…"}</Typography>
      </Box>
    );
  } else {
    body = <Stage ctrl={ctrl} state={state} layout={layout} canModerate={props.role === "host"} />;
  }

  return (
    <Box sx={{ display: "flex", flexDirection: { xs: "column", md: "row" }, minHeight: "100vh", bgcolor: "#111827" }}>
      <Box component="section" aria-label="Video call" sx={{ ...fullHeight, position: "relative", flex: { xs: "none", md: 1 }, minWidth: 0, display: "flex", flexDirection: "column" }}>
        <TopBar state={state} layout={layout} connected={connected} onLayout={(l) => ctrl.setLayout(l)} />
        {banner ? (
          <Alert severity="warning" role="status" sx={{ mx: 1, mb: 1 }}>
            <AlertTitle sx={{ mb: 0 }}>{banner}</AlertTitle>
            Your connection dropped. Stay on this page — the visit continues as soon as it is back.
          </Alert>
        ) : null}
        {inCallProblem ? (
          <Box sx={{ mx: 1, mb: 1 }}>
            <ProblemPanel problem={inCallProblem} compact onClose={() => ctrl.dismissProblem()} />
          </Box>
        ) : null}
        <Box sx={{ position: "relative", flex: 1, minHeight: 0, px: 1 }}>
          {body}
          {state.soundBlocked && connected ? (
            <Box sx={{ position: "absolute", left: 0, right: 0, bottom: 16, display: "flex", justifyContent: "center", zIndex: 2 }}>
              <Button variant="contained" size="large" startIcon={<VolumeUp />} onClick={() => void ctrl.unlockSound()}>
                Tap to turn on sound
              </Button>
            </Box>
          ) : null}
          {state.chat.open ? (
            <Box sx={{ position: "absolute", top: 0, bottom: 0, right: { xs: 0, sm: 8 }, left: { xs: 0, sm: "auto" }, width: { sm: 360 }, zIndex: 3 }}>
              <ChatPanel messages={state.chat.messages} connected={connected} onSend={(t) => ctrl.sendChat(t)} onClose={closeChat} />
            </Box>
          ) : null}
        </Box>
        <Controls
          connected={connected}
          // While joining, the buttons show what the call starts with.
          micMuted={connected ? state.me.micMuted : !ctrl.capture.audio}
          cameraOff={connected ? !state.me.camera : !ctrl.capture.video}
          sharing={!!state.me.screen}
          canShare={shareable}
          chatOpen={state.chat.open}
          unread={state.chat.unread}
          extra={props.extraControls}
          onMic={() => void ctrl.toggleMicrophone()}
          onCamera={() => void ctrl.toggleCamera()}
          onScreen={() => void ctrl.toggleScreen()}
          onChat={() => ctrl.setChatOpen(!state.chat.open)}
          onSettings={() => setSettingsOpen(true)}
          onLeave={() => void ctrl.leave()}
        />
        <Box role="status" aria-live="polite" sx={{ position: "absolute", top: 56, left: 0, right: 0, display: "flex", justifyContent: "center", pointerEvents: "none", zIndex: 4 }}>
          {state.notice ? (
            <Typography sx={{ bgcolor: "rgba(255,255,255,0.95)", color: "text.primary", px: 2, py: 0.75, borderRadius: 2, boxShadow: 2, mx: 1 }}>{state.notice}</Typography>
          ) : null}
        </Box>
        <RemoteAudio ctrl={ctrl} people={state.people} speaker={state.selected.speaker} />
      </Box>
      {props.sidePanel ? (
        <Box
          component="aside"
          aria-label="Visit details"
          sx={{ width: { xs: "100%", md: 420 }, flexShrink: 0, bgcolor: "background.paper", overflowY: "auto", height: { md: "100vh" }, borderLeft: { md: 1 }, borderColor: { md: "divider" } }}
        >
          {props.sidePanel}
        </Box>
      ) : null}
      <SettingsDialog
        open={settingsOpen}
        onClose={() => setSettingsOpen(false)}
        selected={state.selected}
        connection={state.connection}
        onCamera={(id) => void ctrl.switchDevice("camera", id)}
        onMicrophone={(id) => void ctrl.switchDevice("microphone", id)}
        onSpeaker={(id) => ctrl.setSpeaker(id)}
      />
    </Box>
  );
}
