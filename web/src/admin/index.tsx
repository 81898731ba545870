// The admin screens (/admin/*): users, API clients, webhooks and the audit
// trail. Only administrators get past the gate; the server checks again on
// every call.
import { useEffect } from "react";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { http, fhir, jwtClaims, useSession } from "../auth/session";
import { signIn, signOut } from "../auth/oauth";
import { Shell } from "../components/Shell";
import { navigate, useLocation } from "../router";
import { AdminApi } from "./api";
import { AdminNav, SECTIONS } from "./AdminNav";
import { AuditPage } from "./audit/AuditPage";
import { ClientsPage } from "./clients/ClientsPage";
import { UsersPage } from "./users/UsersPage";
import { WebhooksPage } from "./webhooks/WebhooksPage";

const api = new AdminApi(http);

function Gate(props: { title: string; text: string; signInTo?: string }) {
  return (
    <Shell maxWidth="sm" title="Administration">
      <Paper sx={{ p: { xs: 3, sm: 5 } }}>
        <Stack spacing={2}>
          <Typography variant="h1">{props.title}</Typography>
          <Typography color="text.secondary">{props.text}</Typography>
          <Stack direction={{ xs: "column", sm: "row" }} spacing={1.5}>
            {props.signInTo ? (
              <Button variant="contained" onClick={() => void signIn(props.signInTo)}>
                Sign in
              </Button>
            ) : null}
            <Button variant={props.signInTo ? "text" : "outlined"} onClick={() => navigate("/")}>
              Go to the start page
            </Button>
          </Stack>
        </Stack>
      </Paper>
    </Shell>
  );
}

export default function AdminApp() {
  const session = useSession();
  const { pathname, search } = useLocation();
  const path = pathname.replace(/\/+$/, "") || "/";
  const section = SECTIONS.find((s) => s.path === path);

  useEffect(() => {
    if (path === "/admin") navigate("/admin/users", { replace: true });
  }, [path]);

  useEffect(() => {
    document.title = `${section?.label ?? "Administration"} · Housecall`;
  }, [section]);

  if (!session || session.kind !== "user") {
    const here = pathname + (search.toString() ? `?${search}` : "");
    return <Gate title="Sign in to continue" text="The administration pages are for clinic administrators. Sign in with your administrator account." signInTo={here} />;
  }
  if (session.role !== "admin") {
    return (
      <Gate
        title="For administrators only"
        text="Your account can't open the administration pages. If you need to manage users, clients or webhooks, ask an administrator of your clinic."
      />
    );
  }

  const sub = jwtClaims(session.accessToken).sub;
  const selfId = typeof sub === "string" ? sub : undefined;
  let page;
  switch (section?.path) {
    case "/admin/users":
      page = <UsersPage api={api} fhir={fhir} selfId={selfId} />;
      break;
    case "/admin/clients":
      page = <ClientsPage api={api} />;
      break;
    case "/admin/webhooks":
      page = <WebhooksPage api={api} />;
      break;
    case "/admin/audit":
      page = <AuditPage api={api} http={http} fhir={fhir} />;
      break;
    default:
      page =
        path === "/admin" ? null : (
          <Paper sx={{ p: 4 }}>
            <Typography variant="h1" gutterBottom>
              Page not found
            </Typography>
            <Typography color="text.secondary">This administration page doesn't exist. Choose a section above.</Typography>
          </Paper>
        );
  }

  return (
    <Shell
      maxWidth="xl"
      title="Administration"
      actions={
        <Stack direction="row" spacing={1.5} alignItems="center">
          <Typography variant="body2" color="text.secondary" sx={{ display: { xs: "none", sm: "block" } }}>
            {session.email ?? session.name ?? ""}
          </Typography>
          <Button variant="outlined" size="small" onClick={() => void signOut()} sx={{ whiteSpace: "nowrap" }}>
            Sign out
          </Button>
        </Stack>
      }
    >
      <AdminNav current={section?.path ?? ""} />
      {page}
    </Shell>
  );
}
