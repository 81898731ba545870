// The patient's part of the app: /visit (from an invitation link), /me (the
// signed-in patient's visits) and /me/visit/{encounterId} (the same visit
// path, for a signed-in patient).
import { useEffect, useState, type ReactNode } from "react";
import Button from "@mui/material/Button";
import { fhir, http, telemed, useSession, type UserSession } from "../auth/session";
import { signIn, signOut } from "../auth/oauth";
import { ErrorPanel } from "../components/ErrorPanel";
import { Loading } from "../components/Loading";
import { Shell } from "../components/Shell";
import { matchPath, navigate, RouterLink, useLocation } from "../router";
import { PatientFlow } from "./Flow";
import { useInvitation } from "./invitation";
import { MyVisits } from "./MyVisits";
import { Notice } from "./Notice";
import { loadUserVisit, visitFromInvite, type Visit } from "./visit";

function InviteVisit() {
  const inv = useInvitation();
  const role = inv.state === "ready" ? inv.session.invite.role : "";
  useEffect(() => {
    // A guest's link opened at the patient's address: same session, guest screens.
    if (role && role !== "patient") navigate("/visit/guest", { replace: true });
  }, [role]);
  if (inv.state === "loading" || (inv.state === "ready" && role !== "patient")) {
    return (
      <Shell maxWidth="sm" title="Your visit">
        <Loading label="Opening your visit…" />
      </Shell>
    );
  }
  if (inv.state === "error") {
    const p = inv.problem;
    return (
      <Shell maxWidth="sm" title="Your visit">
        <Notice title={p.title} role="alert" actions={p.retry ? <Button variant="contained" onClick={inv.retry}>Try again</Button> : undefined}>
          {p.text}
        </Notice>
      </Shell>
    );
  }
  return <PatientFlow visit={visitFromInvite(inv.session.invite)} http={http} fhir={fhir} telemed={telemed} />;
}

function SignOutButton() {
  return (
    <Button variant="text" onClick={() => void signOut()}>
      Sign out
    </Button>
  );
}

/** The signed-in patient, or a page that says what to do instead. */
function RequirePatient(props: { children: (s: UserSession & { patient: string }) => ReactNode }) {
  const session = useSession();
  const { pathname } = useLocation();
  if (session?.kind !== "user") {
    return (
      <Shell maxWidth="sm">
        <Notice title="Sign in to see your visits" actions={<Button variant="contained" onClick={() => void signIn(pathname)}>Sign in</Button>}>
          Sign in with your e-mail and the one-time code we send you. If your clinic sent you a visit link, you can also just open that link.
        </Notice>
      </Shell>
    );
  }
  if (session.role !== "patient" || !session.patient) {
    return (
      <Shell maxWidth="sm" actions={<SignOutButton />}>
        <Notice title="This page is for patients" actions={<Button variant="outlined" component={RouterLink} href="/">Go to the start page</Button>}>
          You're signed in with a clinic account. Patients see their video visits here.
        </Notice>
      </Shell>
    );
  }
  return <>{props.children(session as UserSession & { patient: string })}</>;
}

function UserVisit(props: { session: UserSession & { patient: string }; encounterId: string }) {
  const { session, encounterId } = props;
  const [visit, setVisit] = useState<Visit | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    loadUserVisit(fhir, encounterId, { patient: session.patient, name: session.name }).then(
      (v) => live && setVisit(v),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [encounterId, session.patient, session.name, attempt]);
  const actions = (
    <>
      <Button variant="text" component={RouterLink} href="/me">
        My visits
      </Button>
      <SignOutButton />
    </>
  );
  if (!visit) {
    return (
      <Shell maxWidth="sm" title="Your visit" actions={actions}>
        {error ? <ErrorPanel error={error} title="We couldn't open this visit" onRetry={() => setAttempt((n) => n + 1)} /> : <Loading label="Opening your visit…" />}
      </Shell>
    );
  }
  return <PatientFlow key={encounterId} visit={visit} http={http} fhir={fhir} telemed={telemed} actions={actions} />;
}

export default function PatientApp() {
  const { pathname } = useLocation();
  if (matchPath("/visit", pathname)) return <InviteVisit />;
  const m = matchPath("/me/visit/:id", pathname);
  if (m) return <RequirePatient>{(s) => <UserVisit session={s} encounterId={m.id} />}</RequirePatient>;
  return (
    <RequirePatient>
      {(s) => (
        <Shell maxWidth="sm" title="My visits" actions={<SignOutButton />}>
          <MyVisits fhir={fhir} patientId={s.patient} name={s.name} />
        </Shell>
      )}
    </RequirePatient>
  );
}
