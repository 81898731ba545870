import Typography from "@mui/material/Typography";
import { formatDate } from "../../format";
import type { ApiClient } from "../api";
import { type Column, ResponsiveTable } from "../common/ResponsiveTable";
import { EnableButton, StatusChip } from "../common/Status";
import { grantLabel } from "./validate";

const mono = { fontFamily: "ui-monospace, monospace", fontSize: "0.8125rem", overflowWrap: "anywhere" } as const;

export interface ClientsTableProps {
  clients: ApiClient[];
  /** Clients that must stay enabled (the web app this page runs in). */
  protectedIds: string[];
  onDisable: (c: ApiClient) => void;
  onEnable: (c: ApiClient) => void;
}

export function ClientsTable(props: ClientsTableProps) {
  const columns: Column<ApiClient>[] = [
    {
      header: "Name",
      rowHeader: true,
      cell: (c) => (
        <>
          <Typography variant="body2" sx={{ fontWeight: 600 }}>
            {c.name}
          </Typography>
          <Typography variant="caption" color="text.secondary" sx={mono} component="div">
            {c.id}
          </Typography>
          {c.created ? (
            <Typography variant="caption" color="text.secondary">
              Created {formatDate(c.created)}
            </Typography>
          ) : null}
        </>
      ),
    },
    { header: "Kind", cell: (c) => (c.public ? "Public" : "Confidential") },
    { header: "Grant types", cell: (c) => c.grantTypes.map(grantLabel).join(", ") || "—" },
    {
      header: "Scopes",
      cell: (c) => (
        <Typography variant="body2" sx={mono}>
          {c.scopes || "—"}
        </Typography>
      ),
    },
    {
      header: "Redirect URIs",
      cell: (c) =>
        c.redirectUris.length === 0
          ? "—"
          : c.redirectUris.map((u) => (
              <Typography key={u} variant="body2" sx={mono}>
                {u}
              </Typography>
            )),
    },
    { header: "Status", cell: (c) => <StatusChip disabled={c.disabled} /> },
    {
      header: "Actions",
      actions: true,
      align: "right",
      cell: (c) => {
        const locked = props.protectedIds.includes(c.id);
        return (
          <EnableButton
            disabled={c.disabled}
            name={c.name}
            onEnable={() => props.onEnable(c)}
            onDisable={() => props.onDisable(c)}
            lockedReason={locked ? "This is the Housecall web app you are using; disabling it would sign everyone out of it" : undefined}
          />
        );
      },
    },
  ];
  return <ResponsiveTable label="API clients" rows={props.clients} rowKey={(c) => c.id} columns={columns} minWidth={980} />;
}
