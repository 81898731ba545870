import { useState } from "react";
import Button from "@mui/material/Button";
import PersonAddIcon from "@mui/icons-material/PersonAdd";
import type { Fhir } from "../../api/fhir";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import type { AdminApi, AdminUser } from "../api";
import { ConfirmDialog } from "../common/ConfirmDialog";
import { Empty, Notice, PageHeader } from "../common/Frame";
import { useLoad } from "../common/useLoad";
import { CreateUserDialog } from "./CreateUserDialog";
import { UsersTable } from "./UsersTable";

type Pending = { kind: "disable" | "reset"; user: AdminUser } | null;

export function UsersPage(props: { api: AdminApi; fhir: Fhir; selfId?: string }) {
  const { api } = props;
  const users = useLoad(() => api.users());
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState<Pending>(null);
  const [notice, setNotice] = useState("");
  const [actionError, setActionError] = useState<unknown>(null);

  function replace(u: AdminUser) {
    users.set((list) => list?.map((x) => (x.id === u.id ? u : x)));
  }

  async function enable(u: AdminUser) {
    setActionError(null);
    try {
      replace(await api.setUserDisabled(u.id, false));
      setNotice(`${u.email} can sign in again.`);
    } catch (e) {
      setActionError(e);
    }
  }

  return (
    <>
      <PageHeader
        title="Users"
        intro="People who sign in to Housecall: practitioners, staff, administrators and patients with an account."
        action={
          <Button variant="contained" startIcon={<PersonAddIcon aria-hidden />} onClick={() => setCreating(true)}>
            Create user
          </Button>
        }
      />
      <Notice text={notice} onClose={() => setNotice("")} />
      {actionError ? (
        <ErrorPanel error={actionError} title="That did not work" onRetry={() => setActionError(null)} retryLabel="Dismiss" />
      ) : null}
      {users.error && !users.data ? (
        <ErrorPanel error={users.error} title="The users could not be loaded" onRetry={users.reload} />
      ) : !users.data ? (
        <Loading label="Loading users…" />
      ) : users.data.length === 0 ? (
        <Empty>No users yet. Use “Create user” to add the first one.</Empty>
      ) : (
        <UsersTable
          users={users.data}
          selfId={props.selfId}
          onDisable={(user) => setPending({ kind: "disable", user })}
          onEnable={(u) => void enable(u)}
          onResetTotp={(user) => setPending({ kind: "reset", user })}
        />
      )}
      {creating ? (
        <CreateUserDialog
          api={api}
          fhir={props.fhir}
          onClose={() => setCreating(false)}
          onCreated={(u, passwordless) => {
            setCreating(false);
            users.set((list) => [...(list ?? []), u]);
            setNotice(
              passwordless
                ? `${u.email} was created. They sign in with a one-time code sent to that address.`
                : `${u.email} was created. Give them their password through a safe channel (not in the same e-mail as the address).`,
            );
          }}
        />
      ) : null}
      {pending?.kind === "disable" ? (
        <ConfirmDialog
          title={`Disable ${pending.user.email}?`}
          body="They are signed out everywhere and cannot sign in until an administrator enables the account again. Their records are kept."
          confirmLabel="Disable user"
          destructive
          onClose={() => setPending(null)}
          onConfirm={async () => {
            replace(await api.setUserDisabled(pending.user.id, true));
            setNotice(`${pending.user.email} is disabled.`);
          }}
        />
      ) : null}
      {pending?.kind === "reset" ? (
        <ConfirmDialog
          title={`Reset the second factor of ${pending.user.email}?`}
          body="Their authenticator app stops working for Housecall and their recovery codes are cancelled. They set up a new authenticator the next time they sign in. Do this only after checking who is asking."
          confirmLabel="Reset second factor"
          destructive
          onClose={() => setPending(null)}
          onConfirm={async () => {
            replace(await api.resetTotp(pending.user.id));
            setNotice(`The second factor of ${pending.user.email} was reset.`);
          }}
        />
      ) : null}
    </>
  );
}
