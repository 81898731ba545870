import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { formatDate } from "../../format";
import type { AdminUser } from "../api";
import { type Column, ResponsiveTable } from "../common/ResponsiveTable";
import { EnableButton, StatusChip } from "../common/Status";
import { roleLabel } from "./validate";

export interface UsersTableProps {
  users: AdminUser[];
  /** The signed-in administrator's account id: they cannot disable themselves. */
  selfId?: string;
  onDisable: (u: AdminUser) => void;
  onEnable: (u: AdminUser) => void;
  onResetTotp: (u: AdminUser) => void;
}

export function UsersTable(props: UsersTableProps) {
  const columns: Column<AdminUser>[] = [
    {
      header: "E-mail",
      rowHeader: true,
      cell: (u) => (
        <>
          <Typography variant="body2" sx={{ fontWeight: 600, overflowWrap: "anywhere" }}>
            {u.email}
            {u.id === props.selfId ? " (you)" : ""}
          </Typography>
          {u.created ? (
            <Typography variant="caption" color="text.secondary">
              Created {formatDate(u.created)}
            </Typography>
          ) : null}
        </>
      ),
    },
    { header: "Role", cell: (u) => roleLabel(u.role) },
    {
      header: "Linked record",
      cell: (u) =>
        u.fhirResource ? (
          <>
            {u.name ? <Typography variant="body2">{u.name}</Typography> : null}
            <Typography variant="body2" color="text.secondary">
              {u.fhirResource}
            </Typography>
          </>
        ) : (
          <Typography variant="body2" color="text.secondary">
            None
          </Typography>
        ),
    },
    { header: "Second factor", cell: (u) => (u.totp ? "On" : "Off") },
    { header: "Status", cell: (u) => <StatusChip disabled={u.disabled} /> },
    {
      header: "Actions",
      actions: true,
      align: "right",
      cell: (u) => {
        const self = u.id === props.selfId;
        return (
          <Stack direction="row" spacing={1} justifyContent={{ xs: "flex-start", sm: "flex-end" }} useFlexGap flexWrap="wrap">
            <EnableButton
              disabled={u.disabled}
              name={u.email}
              onEnable={() => props.onEnable(u)}
              onDisable={() => props.onDisable(u)}
              lockedReason={self ? "You cannot disable your own account" : undefined}
            />
            <Button size="small" onClick={() => props.onResetTotp(u)} disabled={!u.totp} aria-label={`Reset second factor of ${u.email}`} sx={{ whiteSpace: "nowrap" }}>
              Reset second factor
            </Button>
          </Stack>
        );
      },
    },
  ];
  return <ResponsiveTable label="Users" rows={props.users} rowKey={(u) => u.id} columns={columns} minWidth={860} />;
}
