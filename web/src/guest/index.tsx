// /visit/guest#invite=…: an interpreter or family member joins a visit —
// name → device check → waiting room → call.
import { useCallback, useEffect, useState } from "react";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import { http, telemed } from "../auth/session";
import { CallView } from "../call";
import { Loading } from "../components/Loading";
import { Shell } from "../components/Shell";
import { navigate } from "../router";
import { BeforeVisit, type Devices } from "../patient/BeforeVisit";
import { useInvitation } from "../patient/invitation";
import { Notice } from "../patient/Notice";
import { useFocusMainOnChange } from "../patient/focus";
import { useCallJoin, useWaitingRoom } from "../patient/useWaitingRoom";
import { visitFromInvite, type Visit } from "../patient/visit";
import { WaitingRoom } from "../patient/WaitingRoom";
import { NameStep } from "./NameStep";

type Step = "name" | "check" | "waiting" | "call" | "left" | "removed" | "ended";

function GuestFlow(props: { visit: Visit }) {
  const { visit } = props;
  const over = visit.status === "finished" || visit.status === "cancelled";
  const [step, setStep] = useState<Step>(over ? "ended" : "name");
  const [name, setName] = useState(visit.name);
  const [devices, setDevices] = useState<Devices>({});

  const room = useWaitingRoom({
    http,
    telemed,
    encounterId: visit.encounterId,
    profile: visit.profile,
    name,
    waitingRoom: visit.waitingRoom,
    enabled: step === "waiting" || step === "call" || step === "left",
  });

  useEffect(() => {
    if (room.view.phase === "ended" && (step === "waiting" || step === "call" || step === "left")) setStep("ended");
    else if (step === "waiting" && (room.view.phase === "admitted" || room.joinAnswer)) setStep("call");
  }, [room.view.phase, room.joinAnswer, step]);

  const join = useCallJoin(telemed, visit.encounterId, room.joinAnswer);
  const onLeft = useCallback((reason: "left" | "ended" | "removed") => setStep(reason), []);
  useFocusMainOnChange(step);

  if (step === "call") {
    return (
      <Box component="main" id="main" tabIndex={-1} sx={{ outline: "none" }}>
        <CallView join={join} role="guest" displayName={name} onLeft={onLeft} devices={devices} />
      </Box>
    );
  }

  let body;
  switch (step) {
    case "name":
      body = (
        <NameStep
          initialName={name}
          role={visit.role}
          practitioners={visit.practitioners}
          onDone={(n) => {
            setName(n);
            setStep("check");
          }}
        />
      );
      break;
    case "check":
      body = (
        <BeforeVisit
          heading="Before you join"
          name={name}
          practitioners={visit.practitioners}
          start={visit.start}
          role="guest"
          placement={visit.mediaPlacement}
          onReady={(d) => {
            setDevices(d);
            setStep("waiting");
          }}
        />
      );
      break;
    case "waiting":
      body = <WaitingRoom view={room.view} error={room.error} onRetry={room.retry} practitioners={visit.practitioners} />;
      break;
    case "left":
      body = (
        <Notice title="You left the call" actions={<Button variant="contained" onClick={() => setStep("call")}>Rejoin the call</Button>}>
          The visit is still going on. If you left by mistake, rejoin now.
        </Notice>
      );
      break;
    case "removed":
      body = (
        <Notice title="You were removed from the call" role="alert">
          The provider ended your part of the call. If you think this was a mistake, contact the clinic that invited you.
        </Notice>
      );
      break;
    case "ended":
      body = (
        <Notice title="This visit has ended" role="status">
          Thank you for joining. You can close this page.
        </Notice>
      );
      break;
  }
  return (
    <Shell maxWidth="sm" title="Video visit">
      {body}
    </Shell>
  );
}

export default function GuestApp() {
  const inv = useInvitation();
  const role = inv.state === "ready" ? inv.session.invite.role : "";
  useEffect(() => {
    // A patient's link opened at the guest address: the patient's screens.
    if (role === "patient") navigate("/visit", { replace: true });
  }, [role]);
  if (inv.state === "ready" && role !== "patient") return <GuestFlow visit={visitFromInvite(inv.session.invite)} />;
  if (inv.state === "error") {
    const p = inv.problem;
    return (
      <Shell maxWidth="sm" title="Video visit">
        <Notice title={p.title} role="alert" actions={p.retry ? <Button variant="contained" onClick={inv.retry}>Try again</Button> : undefined}>
          {p.ended ? "The visit this link was for is over. Thank you — you can close this page." : p.text}
        </Notice>
      </Shell>
    );
  }
  return (
    <Shell maxWidth="sm" title="Video visit">
      <Loading label="Opening the visit…" />
    </Shell>
  );
}
