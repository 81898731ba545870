// The patient's visit, step by step: device check → intake → consent →
// waiting room → call → summary. Intake and consent are skipped when they
// were already done for this visit (a reload, a second device).
import { useCallback, useEffect, useState, type ReactNode } from "react";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Typography from "@mui/material/Typography";
import type { Fhir } from "../api/fhir";
import type { Http } from "../api/http";
import type { Telemed } from "../api/telemed";
import { CallView } from "../call";
import { Loading } from "../components/Loading";
import { Shell } from "../components/Shell";
import { BeforeVisit, type Devices } from "./BeforeVisit";
import { ConsentStep } from "./ConsentStep";
import { intakeProgress, type IntakeProgress } from "./intake";
import { IntakeStep } from "./IntakeStep";
import { Notice } from "./Notice";
import { Summary } from "./Summary";
import { useFocusMainOnChange } from "./focus";
import { useCallJoin, useWaitingRoom } from "./useWaitingRoom";
import { WaitingRoom } from "./WaitingRoom";
import type { Visit } from "./visit";

type Step = "check" | "intake" | "consent" | "waiting" | "call" | "left" | "removed" | "summary" | "cancelled";

export interface FlowProps {
  visit: Visit;
  http: Http;
  fhir: Fhir;
  telemed: Telemed;
  /** Extra header actions (the signed-in patient's "My visits"). */
  actions?: ReactNode;
}

function firstStep(status: string): Step {
  if (status === "finished") return "summary";
  if (status === "cancelled" || status === "entered-in-error") return "cancelled";
  return "check";
}

export function PatientFlow(props: FlowProps) {
  const { visit, http, fhir, telemed } = props;
  const [step, setStep] = useState<Step>(() => firstStep(visit.status));
  const [devices, setDevices] = useState<Devices>({});
  const [checked, setChecked] = useState(false);
  const [progress, setProgress] = useState<IntakeProgress | null>(null);

  // What was already done for this visit, looked up while the device check runs.
  useEffect(() => {
    if (!visit.patientId || step !== "check") return;
    let live = true;
    intakeProgress(fhir, visit.encounterId, visit.patientId).then(
      (p) => live && setProgress(p),
      // Unknown: ask again (answering twice is better than never).
      () => live && setProgress({ answered: false, consented: false }),
    );
    return () => {
      live = false;
    };
  }, [fhir, visit.encounterId, visit.patientId, step]);

  useEffect(() => {
    if (step !== "check" || !checked) return;
    if (!visit.patientId) setStep("waiting");
    else if (progress) setStep(!progress.answered ? "intake" : !progress.consented ? "consent" : "waiting");
  }, [step, checked, progress, visit.patientId]);

  const room = useWaitingRoom({
    http,
    telemed,
    encounterId: visit.encounterId,
    profile: visit.profile,
    waitingRoom: visit.waitingRoom,
    enabled: step === "waiting" || step === "call" || step === "left",
  });

  useEffect(() => {
    if (room.view.phase === "ended" && (step === "waiting" || step === "call" || step === "left")) setStep("summary");
    else if (step === "waiting" && (room.view.phase === "admitted" || room.joinAnswer)) setStep("call");
  }, [room.view.phase, room.joinAnswer, step]);

  const join = useCallJoin(telemed, visit.encounterId, room.joinAnswer);

  const onLeft = useCallback((reason: "left" | "ended" | "removed") => {
    setStep(reason === "ended" ? "summary" : reason);
  }, []);
  useFocusMainOnChange(step);

  if (step === "call") {
    return (
      <Box component="main" id="main" tabIndex={-1} sx={{ outline: "none" }}>
        <CallView join={join} role="participant" displayName={visit.name} onLeft={onLeft} devices={devices} />
      </Box>
    );
  }

  let body: ReactNode;
  switch (step) {
    case "check":
      body = checked ? (
        <Loading label="Getting your visit ready…" />
      ) : (
        <BeforeVisit
          name={visit.name}
          practitioners={visit.practitioners}
          start={visit.start}
          role="participant"
          placement={visit.mediaPlacement}
          onReady={(d) => {
            setDevices(d);
            setChecked(true);
          }}
        />
      );
      break;
    case "intake":
      body = <IntakeStep fhir={fhir} encounterId={visit.encounterId} patientId={visit.patientId ?? ""} onDone={() => setStep(progress?.consented ? "waiting" : "consent")} />;
      break;
    case "consent":
      body = <ConsentStep fhir={fhir} encounterId={visit.encounterId} patientId={visit.patientId ?? ""} onDone={() => setStep("waiting")} />;
      break;
    case "waiting":
      body = <WaitingRoom view={room.view} error={room.error} onRetry={room.retry} practitioners={visit.practitioners} start={visit.start} tips />;
      break;
    case "left":
      body = (
        <Notice title="You left the call" actions={<Button variant="contained" onClick={() => setStep("call")}>Rejoin the call</Button>}>
          <Typography>
            Your visit is still going on. If you left by mistake, rejoin now. When your provider ends the visit, its summary appears on this page.
          </Typography>
        </Notice>
      );
      break;
    case "removed":
      body = (
        <Notice title="You were removed from the call" role="alert">
          Your provider ended your part of the call. If you think this was a mistake, call your clinic.
        </Notice>
      );
      break;
    case "cancelled":
      body = (
        <Notice title="This visit was cancelled" role="alert">
          Your clinic cancelled this video visit. Call them if you'd like to book a new one. You can close this page.
        </Notice>
      );
      break;
    case "summary":
      body = <Summary fhir={fhir} encounterId={visit.encounterId} start={visit.start} practitioners={visit.practitioners} />;
      break;
  }
  return (
    <Shell maxWidth="sm" title="Your visit" actions={props.actions}>
      {body}
    </Shell>
  );
}
