// The provider's side of the app: /board (today's visits, live) and
// /board/visit/{encounterId} (the call with the chart). Signed-in staff only.
import { useEffect, useMemo, useState } from "react";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { splitRef } from "../api/fhir";
import { signIn, signOut } from "../auth/oauth";
import { fhir, useSession, type UserSession } from "../auth/session";
import { Shell } from "../components/Shell";
import { matchPath, navigate, useLocation } from "../router";
import { Board } from "./board/Board";
import type { Viewer } from "./board/data";
import { VisitPage } from "./visit/VisitPage";
import { nameOf } from "./common/names";

/** Staff and administrators see every visit of the day; practitioners their own. */
export function viewerOf(s: Pick<UserSession, "role" | "fhirUser">): Viewer {
  return { fhirUser: s.fhirUser || undefined, seesAll: s.role === "staff" || s.role === "admin" || !s.fhirUser };
}

/** The signed-in user's name: from the sign-in, else from their FHIR profile. */
function useMyName(s: UserSession | null): string {
  const [name, setName] = useState(s?.name ?? "");
  const fhirUser = s?.fhirUser;
  useEffect(() => {
    if (s?.name) {
      setName(s.name);
      return;
    }
    const ref = splitRef(fhirUser);
    if (!ref || !/^(Practitioner|PractitionerRole)$/.test(ref[0])) return;
    let live = true;
    fhir.read(ref[0], ref[1]).then(
      (r) => live && setName(nameOf(r)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [s?.name, fhirUser]);
  return name;
}

function Gate(props: { title: string; text: string; action: string; onAction: () => void }) {
  return (
    <Shell maxWidth="sm">
      <Paper sx={{ p: { xs: 3, sm: 5 } }}>
        <Stack spacing={2}>
          <Typography variant="h1">{props.title}</Typography>
          <Typography color="text.secondary">{props.text}</Typography>
          <Button variant="contained" size="large" onClick={props.onAction} sx={{ alignSelf: "flex-start" }}>
            {props.action}
          </Button>
        </Stack>
      </Paper>
    </Shell>
  );
}

export default function ProviderApp() {
  const session = useSession();
  const { pathname } = useLocation();
  const user = session?.kind === "user" ? session : null;
  const myName = useMyName(user);
  const role = user?.role;
  const fhirUser = user?.fhirUser;
  const viewer = useMemo(() => viewerOf({ role: role ?? "practitioner", fhirUser: fhirUser ?? "" }), [role, fhirUser]);
  const me = useMemo(() => ({ reference: fhirUser ?? "", ...(myName ? { display: myName } : {}) }), [fhirUser, myName]);

  const visit = matchPath("/board/visit/:id", pathname);
  const known = pathname === "/board" || pathname === "/board/" || !!visit;
  useEffect(() => {
    if (user && !known) navigate("/board", { replace: true });
  }, [user, known]);

  if (!user) {
    return (
      <Gate
        title="Sign in to see your visits"
        text="The visit board is for clinic staff. Sign in with your password and your authenticator code."
        action="Sign in"
        onAction={() => void signIn(pathname)}
      />
    );
  }
  if (user.role === "patient") {
    return (
      <Gate
        title="This page is for clinic staff"
        text="Your own visits and visit summaries are on your page."
        action="Go to my visits"
        onAction={() => navigate("/me")}
      />
    );
  }

  const actions = (
    <Stack direction="row" spacing={1} alignItems="center">
      {myName ? (
        <Typography variant="body2" color="text.secondary" sx={{ display: { xs: "none", sm: "block" } }}>
          {myName}
        </Typography>
      ) : null}
      <Button size="small" onClick={() => void signOut()}>
        Sign out
      </Button>
    </Stack>
  );
  if (visit) return <VisitPage key={visit.id} id={visit.id} me={me} shellActions={actions} />;
  return (
    <Shell title="Visits" maxWidth="xl" actions={actions}>
      <Board viewer={viewer} me={me} />
    </Shell>
  );
}
