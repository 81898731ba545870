import { useState } from "react";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import AddIcon from "@mui/icons-material/Add";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { formatDate } from "../../format";
import type { AdminApi, Webhook } from "../api";
import { ConfirmDialog } from "../common/ConfirmDialog";
import { Empty, Notice, PageHeader } from "../common/Frame";
import { ResponsiveTable } from "../common/ResponsiveTable";
import { useLoad } from "../common/useLoad";
import { AddWebhookDialog } from "./AddWebhookDialog";
import { eventLabel } from "./validate";

export function WebhooksPage(props: { api: AdminApi }) {
  const { api } = props;
  const hooks = useLoad(() => api.webhooks());
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [testing, setTesting] = useState("");
  const [notice, setNotice] = useState("");
  const [actionError, setActionError] = useState<unknown>(null);

  async function test(w: Webhook) {
    setTesting(w.id);
    setActionError(null);
    try {
      await api.testWebhook(w.id);
      setNotice(`A test event (“ping”) is on its way to ${w.url}. Failed deliveries are retried for a while.`);
    } catch (e) {
      setActionError(e);
    } finally {
      setTesting("");
    }
  }

  return (
    <>
      <PageHeader
        title="Webhooks"
        intro="Addresses that are told about visits as they happen (created, joined, left, ended). No clinical details are sent."
        action={
          <Button variant="contained" startIcon={<AddIcon aria-hidden />} onClick={() => setAdding(true)}>
            Add webhook
          </Button>
        }
      />
      <Notice text={notice} onClose={() => setNotice("")} />
      {actionError ? <ErrorPanel error={actionError} title="That did not work" onRetry={() => setActionError(null)} retryLabel="Dismiss" /> : null}
      {hooks.error && !hooks.data ? (
        <ErrorPanel error={hooks.error} title="The webhooks could not be loaded" onRetry={hooks.reload} />
      ) : !hooks.data ? (
        <Loading label="Loading webhooks…" />
      ) : hooks.data.length === 0 ? (
        <Empty>No webhooks yet. Use “Add webhook” to send visit events to another system.</Empty>
      ) : (
        <ResponsiveTable
          label="Webhooks"
          rows={hooks.data}
          rowKey={(w) => w.id}
          minWidth={760}
          columns={[
            {
              header: "URL",
              rowHeader: true,
              cell: (w) => (
                <>
                  <Typography variant="body2" sx={{ fontFamily: "ui-monospace, monospace", overflowWrap: "anywhere" }}>
                    {w.url}
                  </Typography>
                  {w.description ? (
                    <Typography variant="caption" color="text.secondary">
                      {w.description}
                    </Typography>
                  ) : null}
                </>
              ),
            },
            { header: "Events", cell: (w) => (w.events.length === 0 ? "All events" : w.events.map(eventLabel).join(", ")) },
            { header: "Signed", cell: (w) => (w.hasSecret ? "Yes" : "No") },
            { header: "Added", nowrap: true, cell: (w) => formatDate(w.created) },
            {
              header: "Actions",
              actions: true,
              align: "right",
              cell: (w) => (
                <Stack direction="row" spacing={1} justifyContent={{ xs: "flex-start", sm: "flex-end" }}>
                  <Button size="small" variant="outlined" onClick={() => void test(w)} disabled={testing === w.id} aria-label={`Send test to ${w.url}`} sx={{ whiteSpace: "nowrap" }}>
                    {testing === w.id ? "Sending…" : "Send test"}
                  </Button>
                  <Button size="small" color="error" onClick={() => setDeleting(w)} aria-label={`Delete ${w.url}`}>
                    Delete
                  </Button>
                </Stack>
              ),
            },
          ]}
        />
      )}
      {adding ? (
        <AddWebhookDialog
          api={api}
          onClose={() => setAdding(false)}
          onCreated={() => {
            setAdding(false);
            // The list comes from the server: it masks passwords in addresses.
            hooks.reload();
            setNotice("The webhook was added. Use “Send test” to check that the receiver gets events.");
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete this webhook?"
          body={
            <>
              Housecall stops sending events to <strong style={{ wordBreak: "break-all" }}>{deleting.url}</strong>. Deliveries already queued may still arrive.
              This cannot be undone; you can add the address again later.
            </>
          }
          confirmLabel="Delete webhook"
          destructive
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.deleteWebhook(deleting.id);
            hooks.set((list) => list?.filter((x) => x.id !== deleting.id));
            setNotice(`The webhook to ${deleting.url} was deleted.`);
          }}
        />
      ) : null}
    </>
  );
}
