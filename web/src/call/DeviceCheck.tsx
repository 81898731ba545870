// The pre-call check: is this browser able, may the page use the camera
// and microphone (with a live preview, a level meter and a test sound for
// the speaker), and does video get through this network — each in plain
// words with what to do when something is wrong.
import { useMemo, useRef, useState } from "react";
import type { JoinResponse } from "@housecall/sdk";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import VolumeUp from "@mui/icons-material/VolumeUp";
import { DeviceSelect } from "./DeviceSelect";
import { playTestSound, supportsSpeakerChoice } from "./media";
import { keepChoice, networkWords, overallVerdict, precheckProblems } from "./precheck";
import { ProblemPanel } from "./ProblemPanel";
import { useMicLevel, usePrecheck, usePreview } from "./usePrecheck";

export interface ChosenDevices {
  audioDeviceId?: string;
  videoDeviceId?: string;
  speakerDeviceId?: string;
}

export interface DeviceCheckProps {
  onReady: (devices: ChosenDevices) => void;
  role: "patient" | "participant" | "guest" | "host";
  /**
   * A join answer for the full network test (the server's STUN/TURN, relay
   * speed). Patients and guests cannot join before they are admitted, so
   * without it the check tests that the video service is reachable.
   */
  join?: () => Promise<JoinResponse>;
}

export function DeviceCheck(props: DeviceCheckProps) {
  const [check, rerun] = usePrecheck(props.join);
  const d = check.devices;
  const [choice, setChoice] = useState({ camera: "", microphone: "", speaker: "" });
  const camera = keepChoice(choice.camera, d?.cameras ?? []);
  const microphone = keepChoice(choice.microphone, d?.microphones ?? []);
  const sink = supportsSpeakerChoice();
  const speaker = sink ? keepChoice(choice.speaker, d?.speakers ?? []) : "";
  const allowed = !!d && d.permission === "granted";

  const video = useRef<HTMLVideoElement>(null);
  const previewProblem = usePreview(video, camera, allowed && d.cameras.length > 0 && !d.cameraError);
  const level = useMicLevel(microphone, allowed && d.microphones.length > 0 && !d.microphoneError);
  const [sound, setSound] = useState<"idle" | "playing" | "played" | "failed">("idle");

  const problems = useMemo(() => {
    const list = precheckProblems(check.browser, d, check.network);
    if (previewProblem && !list.some((p) => p.kind === previewProblem.kind)) list.push(previewProblem);
    return list;
  }, [check.browser, d, check.network, previewProblem]);
  let overall = d ? overallVerdict(check.browser, d, check.network, problems) : null;
  if (overall?.verdict === "ready" && check.networkState === "running") {
    overall = { ...overall, message: "Your browser, camera and microphone are ready. We are still checking your connection." };
  }
  const unusable = !check.browser.webrtc || !check.browser.getUserMedia || !check.browser.secureContext;

  async function testSound() {
    setSound("playing");
    try {
      await playTestSound(speaker);
      setSound("played");
    } catch {
      setSound("failed");
    }
  }

  const others = props.role === "guest" ? "the provider and the patient" : props.role === "host" ? "your patient" : "your provider";

  return (
    <Paper component="section" aria-labelledby="device-check-title" sx={{ p: { xs: 2, sm: 4 } }}>
      <Stack spacing={3}>
        <div>
          <Typography id="device-check-title" variant="h1" gutterBottom>
            Check your camera and microphone
          </Typography>
          <Typography color="text.secondary">Make sure {others} will see and hear you. Nothing is recorded.</Typography>
        </div>

        {!d && !unusable ? (
          <Box role="status" sx={{ display: "flex", alignItems: "center", gap: 1.5 }}>
            <CircularProgress size={22} aria-hidden />
            <Typography>Checking your camera and microphone… If your browser asks, choose Allow.</Typography>
          </Box>
        ) : null}

        <Box sx={{ display: "grid", gap: 3, gridTemplateColumns: { xs: "1fr", md: "minmax(0, 1.2fr) minmax(0, 1fr)" } }}>
          <Box sx={{ position: "relative", aspectRatio: "16 / 9", bgcolor: "#1f2937", borderRadius: 2, overflow: "hidden" }}>
            <Box
              component="video"
              ref={video}
              data-testid="preview-video"
              aria-label="Your camera preview"
              autoPlay
              muted
              playsInline
              sx={{ width: "100%", height: "100%", objectFit: "cover", display: "block", transform: "scaleX(-1)" }}
            />
            {d && (d.cameras.length === 0 || !allowed || d.cameraError || previewProblem) ? (
              <Box sx={{ position: "absolute", inset: 0, display: "flex", alignItems: "center", justifyContent: "center", p: 2 }}>
                <Typography sx={{ color: "#e5e7eb", textAlign: "center" }}>{!allowed ? "The camera is not available." : "No camera picture."}</Typography>
              </Box>
            ) : null}
          </Box>

          <Stack spacing={2.5}>
            <DeviceSelect label="Camera" value={camera} devices={allowed ? d.cameras : []} onChange={(v) => setChoice((c) => ({ ...c, camera: v }))} emptyText="No camera available" />
            <DeviceSelect
              label="Microphone"
              value={microphone}
              devices={allowed ? d.microphones : []}
              onChange={(v) => setChoice((c) => ({ ...c, microphone: v }))}
              emptyText="No microphone available"
            />
            <div>
              <Typography id="mic-level-label" variant="body2" color="text.secondary" sx={{ mb: 0.5 }}>
                Say something: the bar should move.
              </Typography>
              <Box
                role="meter"
                aria-label="Microphone level"
                aria-describedby="mic-level-label"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={level}
                sx={{ height: 10, borderRadius: 5, bgcolor: "#e5e7eb", overflow: "hidden" }}
              >
                <Box sx={{ height: "100%", width: `${level}%`, bgcolor: "primary.main", transition: "width 80ms linear" }} />
              </Box>
            </div>
            <DeviceSelect
              label="Speaker"
              value={speaker}
              devices={sink && allowed ? d.speakers : []}
              onChange={(v) => setChoice((c) => ({ ...c, speaker: v }))}
              emptyText="Default speaker"
              helperText={sink ? undefined : "This browser uses your device's default speaker. Change it in your device's sound settings."}
            />
            <div>
              <Button variant="outlined" startIcon={<VolumeUp />} onClick={() => void testSound()} disabled={sound === "playing"}>
                Play test sound
              </Button>
              <Typography role="status" variant="body2" color="text.secondary" sx={{ mt: 1 }}>
                {sound === "played" ? "Did you hear a chime? If not, turn up the volume or choose another speaker." : null}
                {sound === "failed" ? "The test sound could not play. Check that your device is not muted." : null}
              </Typography>
            </div>
          </Stack>
        </Box>

        <div>
          <Typography variant="h2" gutterBottom>
            Connection
          </Typography>
          <Typography role="status">
            {check.networkState === "running" ? "Checking your connection…" : null}
            {check.networkState === "done" && check.network ? networkWords(check.network, check.full) : null}
            {check.networkState === "failed" ? "We could not test your connection. You can still continue." : null}
            {check.networkState === "skipped" ? "This browser cannot make video calls." : null}
          </Typography>
        </div>

        {overall ? (
          <Alert severity={overall.verdict === "ready" ? "success" : overall.verdict === "warning" ? "warning" : "error"} role="status">
            {overall.message}
          </Alert>
        ) : null}
        {problems.map((p) => (
          <ProblemPanel key={p.kind} problem={p} />
        ))}

        <Box sx={{ display: "flex", gap: 1.5, flexWrap: "wrap", justifyContent: "flex-end" }}>
          {problems.length > 0 ? (
            <Button variant="outlined" onClick={rerun} disabled={!d}>
              Check again
            </Button>
          ) : null}
          <Button
            variant="contained"
            size="large"
            disabled={!d || unusable}
            onClick={() =>
              props.onReady({ audioDeviceId: microphone || undefined, videoDeviceId: camera || undefined, speakerDeviceId: speaker || undefined })
            }
          >
            Continue
          </Button>
        </Box>
      </Stack>
    </Paper>
  );
}
