import { useState } from "react";
import Button from "@mui/material/Button";
import AddIcon from "@mui/icons-material/Add";
import { CLIENT_ID } from "../../auth/oauth";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import type { AdminApi, ApiClient, CreatedClient } from "../api";
import { ConfirmDialog } from "../common/ConfirmDialog";
import { Empty, Notice, PageHeader } from "../common/Frame";
import { useLoad } from "../common/useLoad";
import { ClientsTable } from "./ClientsTable";
import { CreateClientDialog } from "./CreateClientDialog";
import { SecretDialog } from "./SecretDialog";

export function ClientsPage(props: { api: AdminApi }) {
  const { api } = props;
  const clients = useLoad(() => api.clients());
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedClient | null>(null);
  const [disabling, setDisabling] = useState<ApiClient | null>(null);
  const [notice, setNotice] = useState("");
  const [actionError, setActionError] = useState<unknown>(null);

  function mark(c: ApiClient, disabled: boolean) {
    clients.set((list) => list?.map((x) => (x.id === c.id ? { ...x, disabled } : x)));
  }

  async function enable(c: ApiClient) {
    setActionError(null);
    try {
      await api.setClientDisabled(c.id, false);
      mark(c, false);
      setNotice(`${c.name} is enabled again.`);
    } catch (e) {
      setActionError(e);
    }
  }

  return (
    <>
      <PageHeader
        title="API clients"
        intro="Apps and services that connect to Housecall with OAuth: SMART apps, EHR integrations, backend services."
        action={
          <Button variant="contained" startIcon={<AddIcon aria-hidden />} onClick={() => setCreating(true)}>
            Create client
          </Button>
        }
      />
      <Notice text={notice} onClose={() => setNotice("")} />
      {actionError ? <ErrorPanel error={actionError} title="That did not work" onRetry={() => setActionError(null)} retryLabel="Dismiss" /> : null}
      {clients.error && !clients.data ? (
        <ErrorPanel error={clients.error} title="The clients could not be loaded" onRetry={clients.reload} />
      ) : !clients.data ? (
        <Loading label="Loading clients…" />
      ) : clients.data.length === 0 ? (
        <Empty>No API clients yet. Use “Create client” to register an app or service.</Empty>
      ) : (
        <ClientsTable clients={clients.data} protectedIds={[CLIENT_ID]} onDisable={setDisabling} onEnable={(c) => void enable(c)} />
      )}
      {creating ? (
        <CreateClientDialog
          api={api}
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
            clients.set((list) => [...(list ?? []), c.client]);
          }}
        />
      ) : null}
      {created ? (
        <SecretDialog
          created={created}
          onClose={() => {
            setNotice(`${created.client.name} was created.`);
            setCreated(null);
          }}
        />
      ) : null}
      {disabling ? (
        <ConfirmDialog
          title={`Disable ${disabling.name}?`}
          body="The app can no longer sign anyone in or get tokens, and the tokens it already has stop working. You can enable it again later."
          confirmLabel="Disable client"
          destructive
          onClose={() => setDisabling(null)}
          onConfirm={async () => {
            await api.setClientDisabled(disabling.id, true);
            mark(disabling, true);
            setNotice(`${disabling.name} is disabled.`);
          }}
        />
      ) : null}
    </>
  );
}
