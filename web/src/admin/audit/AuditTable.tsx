import Typography from "@mui/material/Typography";
import { formatDateTime } from "../../format";
import { type Column, ResponsiveTable } from "../common/ResponsiveTable";
import type { AuditRow } from "./describe";

const small = { display: "block", overflowWrap: "anywhere" } as const;
const mono = { fontFamily: "ui-monospace, monospace", fontSize: "0.8125rem", overflowWrap: "anywhere" } as const;

const columns: Column<AuditRow>[] = [
  { header: "Time", rowHeader: true, cell: (r) => <time dateTime={r.recorded}>{formatDateTime(r.recorded)}</time> },
  {
    header: "Who",
    cell: (r) => (
      <>
        <Typography variant="body2" sx={{ overflowWrap: "anywhere" }}>
          {r.who}
        </Typography>
        {r.whoDetail ? (
          <Typography variant="caption" color="text.secondary" sx={small}>
            {r.whoDetail}
          </Typography>
        ) : null}
      </>
    ),
  },
  {
    header: "Action",
    cell: (r) => (
      <>
        {r.action}
        {r.event && r.event !== r.action ? (
          <Typography variant="caption" color="text.secondary" sx={small}>
            {r.event}
          </Typography>
        ) : null}
      </>
    ),
  },
  {
    header: "What",
    cell: (r) =>
      r.what.length === 0
        ? "—"
        : r.what.map((w) => (
            <Typography key={w} variant="body2" sx={mono}>
              {w}
            </Typography>
          )),
  },
  {
    header: "Patient",
    cell: (r) =>
      r.patients.length === 0
        ? "—"
        : r.patients.map((p) => (
            <Typography key={p} variant="body2" sx={{ whiteSpace: "nowrap" }}>
              {p}
            </Typography>
          )),
  },
  {
    header: "Outcome",
    cell: (r) => (
      <>
        <Typography variant="body2" color={r.failed ? "error" : undefined} sx={{ fontWeight: r.failed ? 600 : undefined }}>
          {r.outcome}
        </Typography>
        {r.outcomeDesc ? (
          <Typography variant="caption" color="text.secondary" sx={small}>
            {r.outcomeDesc}
          </Typography>
        ) : null}
      </>
    ),
  },
  { header: "Source IP", nowrap: true, cell: (r) => r.ip || "—" },
];

export function AuditTable(props: { rows: AuditRow[] }) {
  return <ResponsiveTable label="Audit events" rows={props.rows} rowKey={(r, i) => r.id || String(i)} columns={columns} minWidth={1000} />;
}
