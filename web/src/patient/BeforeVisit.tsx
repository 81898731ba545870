// "Before your visit": a greeting by name, when and with whom the visit is,
// and the pre-call check of camera, microphone, speaker and network.
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { JoinResponse } from "@housecall/sdk";
import { DeviceCheck } from "../call";
import type { Visit } from "./visit";
import { formatDateTime, viewerTimeZone } from "../format";
import { firstName } from "./visit";

export interface Devices {
  audioDeviceId?: string;
  videoDeviceId?: string;
  speakerDeviceId?: string;
}

export function BeforeVisit(props: {
  name: string;
  practitioners: string[];
  start?: string;
  role: "participant" | "guest";
  heading?: string;
  /** The media server's placement from the invitation session, for the full network test. */
  placement?: Visit["mediaPlacement"];
  onReady: (d: Devices) => void;
}) {
  // Not a join answer (the person is not admitted yet): only the network
  // test reads it, to gather candidates against the server's STUN/TURN.
  const placement = props.placement;
  const join = placement
    ? () => Promise.resolve({ Meeting: { MeetingId: "precall", MediaPlacement: placement }, Attendee: { JoinToken: "precall" } } as JoinResponse)
    : undefined;
  const first = firstName(props.name);
  const with_ = props.practitioners.length ? ` with ${props.practitioners.join(" and ")}` : "";
  return (
    <Stack spacing={3}>
      <Paper sx={{ p: { xs: 2.5, sm: 4 } }}>
        <Typography variant="h1" gutterBottom>
          {props.heading ?? "Before your visit"}
        </Typography>
        <Typography sx={{ fontSize: "1.125rem" }} gutterBottom>
          {first ? `Hello, ${first}.` : "Hello."}
        </Typography>
        <Typography color="text.secondary">
          {props.start
            ? `Your video visit${with_} is on ${formatDateTime(props.start)} (${viewerTimeZone()}).`
            : `Welcome to your video visit${with_}.`}{" "}
          First, let's make sure your camera, microphone and sound work. It takes about a minute.
        </Typography>
      </Paper>
      <DeviceCheck role={props.role} join={join} onReady={(d: Devices) => props.onReady(d ?? {})} />
    </Stack>
  );
}
