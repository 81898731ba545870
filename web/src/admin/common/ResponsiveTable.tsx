// A data table on wide screens and a list of cards on phones, from one set
// of column definitions: on a 360 px screen a six-column table would need
// sideways scrolling to reach its buttons.
import type { ReactNode } from "react";
import Box from "@mui/material/Box";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import { DataTable, visuallyHidden } from "./Frame";
import { useNarrow } from "./useNarrow";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** The column that names the row (a row header; the card's title). */
  rowHeader?: boolean;
  /** Buttons: no visible heading; at the bottom of a card. */
  actions?: boolean;
  align?: "left" | "right";
  nowrap?: boolean;
}

export interface ResponsiveTableProps<T> {
  label: string;
  rows: T[];
  rowKey: (row: T, index: number) => string;
  columns: Column<T>[];
  minWidth?: number;
}

export function ResponsiveTable<T>(props: ResponsiveTableProps<T>) {
  const narrow = useNarrow();
  const { columns } = props;
  if (narrow) {
    const title = columns.find((c) => c.rowHeader);
    const fields = columns.filter((c) => !c.rowHeader && !c.actions);
    const actions = columns.filter((c) => c.actions);
    return (
      <Stack component="ul" aria-label={props.label} spacing={1.5} sx={{ listStyle: "none", m: 0, p: 0 }}>
        {props.rows.map((r, i) => (
          <Paper component="li" key={props.rowKey(r, i)} sx={{ p: 2 }}>
            {title ? <Box sx={{ mb: 1 }}>{title.cell(r)}</Box> : null}
            <Box component="dl" sx={{ display: "grid", gridTemplateColumns: "minmax(96px, auto) 1fr", columnGap: 2, rowGap: 0.75, m: 0 }}>
              {fields.map((c) => (
                <Box key={c.header} sx={{ display: "contents" }}>
                  <Box component="dt" sx={{ color: "text.secondary", fontSize: "0.875rem" }}>
                    {c.header}
                  </Box>
                  <Box component="dd" sx={{ m: 0, minWidth: 0, overflowWrap: "anywhere", fontSize: "0.875rem" }}>
                    {c.cell(r)}
                  </Box>
                </Box>
              ))}
            </Box>
            {actions.map((c) => (
              <Box key={c.header} sx={{ mt: 1.5 }}>
                {c.cell(r)}
              </Box>
            ))}
          </Paper>
        ))}
      </Stack>
    );
  }
  return (
    <DataTable label={props.label} minWidth={props.minWidth}>
      <TableHead>
        <TableRow>
          {columns.map((c) => (
            <TableCell key={c.header} align={c.align}>
              {c.actions ? (
                <Box component="span" sx={visuallyHidden}>
                  {c.header}
                </Box>
              ) : (
                c.header
              )}
            </TableCell>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {props.rows.map((r, i) => (
          <TableRow key={props.rowKey(r, i)} hover sx={{ verticalAlign: "top" }}>
            {columns.map((c) =>
              c.rowHeader ? (
                <TableCell key={c.header} component="th" scope="row">
                  {c.cell(r)}
                </TableCell>
              ) : (
                <TableCell key={c.header} align={c.align} sx={c.nowrap ? { whiteSpace: "nowrap" } : undefined}>
                  {c.cell(r)}
                </TableCell>
              ),
            )}
          </TableRow>
        ))}
      </TableBody>
    </DataTable>
  );
}
