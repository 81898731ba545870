import { type ComponentType, lazy, Suspense, useEffect, useState } from "react";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { matchPath, navigate, useLocation } from "./router";
import { useSession, type UserSession } from "./auth/session";
import { completeSignIn, signIn } from "./auth/oauth";
import { Shell } from "./components/Shell";
import { Loading } from "./components/Loading";
import { ErrorPanel } from "./components/ErrorPanel";

// Each audience's code is its own chunk: the patient's path never
// downloads the provider board or the admin screens.
const PatientApp = lazy(() => import("./patient/index"));
const GuestApp = lazy(() => import("./guest/index"));

// The visit screens a link opens, loaded before the first render (see
// preloadVisit): no loading spinner and no Suspense reveal delay on the
// patient's and guest's first screen.
const preloaded: { patient?: ComponentType; guest?: ComponentType } = {};

/** Loads the patient or guest screens when the page is a visit link. */
export async function preloadVisit(pathname: string): Promise<void> {
  try {
    if (pathname === "/visit") preloaded.patient = (await import("./patient/index")).default;
    else if (pathname === "/visit/guest") preloaded.guest = (await import("./guest/index")).default;
  } catch {
    // The lazy route below loads it again and shows its error.
  }
}
const ProviderApp = lazy(() => import("./provider/index"));
const AdminApp = lazy(() => import("./admin/index"));

/** Where a signed-in user starts. */
export function homeFor(s: UserSession): string {
  switch (s.role) {
    case "admin":
      return "/admin";
    case "patient":
      return "/me";
    default:
      return "/board";
  }
}

function Callback() {
  const loc = useLocation();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    completeSignIn(loc.search).then(
      (to) => navigate(to === "/" ? "/" : to, { replace: true }),
      setError,
    );
    // Runs once for the code in the URL.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <Shell maxWidth="sm">
      {error ? <ErrorPanel error={error} title="Sign-in did not complete" onRetry={() => void signIn("/")} retryLabel="Sign in again" /> : <Loading label="Signing you in…" />}
    </Shell>
  );
}

function Home() {
  const session = useSession();
  useEffect(() => {
    if (session?.kind === "user") navigate(homeFor(session), { replace: true });
  }, [session]);
  return (
    <Shell maxWidth="sm">
      <Paper sx={{ p: { xs: 3, sm: 5 } }}>
        <Stack spacing={3}>
          <Typography variant="h1">Video visits</Typography>
          <Typography color="text.secondary">
            Patients: open the visit link your clinic sent you by e-mail or text message. It brings you straight to your visit — no account needed.
          </Typography>
          <Typography color="text.secondary">Clinic staff and patients with an account sign in here.</Typography>
          <Button variant="contained" size="large" onClick={() => void signIn("/")}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Shell>
  );
}

function NotFound() {
  return (
    <Shell maxWidth="sm">
      <Paper sx={{ p: 4 }}>
        <Typography variant="h1" gutterBottom>
          Page not found
        </Typography>
        <Typography color="text.secondary" paragraph>
          This address doesn't lead anywhere. If you followed a visit link, check that you copied all of it.
        </Typography>
        <Button variant="outlined" onClick={() => navigate("/")}>
          Go to the start page
        </Button>
      </Paper>
    </Shell>
  );
}

export function App() {
  const { pathname } = useLocation();
  let page;
  if (pathname === "/") page = <Home />;
  else if (pathname === "/auth/callback") page = <Callback />;
  else if (matchPath("/visit/guest", pathname)) page = preloaded.guest ? <preloaded.guest /> : <GuestApp />;
  else if (matchPath("/visit", pathname)) page = preloaded.patient ? <preloaded.patient /> : <PatientApp />;
  else if (matchPath("/me/*", pathname) || pathname === "/me") page = <PatientApp />;
  else if (pathname === "/board" || matchPath("/board/*", pathname)) page = <ProviderApp />;
  else if (pathname === "/admin" || matchPath("/admin/*", pathname)) page = <AdminApp />;
  else page = <NotFound />;
  return <Suspense fallback={<Loading />}>{page}</Suspense>;
}
