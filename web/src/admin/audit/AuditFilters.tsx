import { type FormEvent, useEffect, useState } from "react";
import Autocomplete from "@mui/material/Autocomplete";
import Button from "@mui/material/Button";
import Grid from "@mui/material/Grid";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import SearchIcon from "@mui/icons-material/Search";
import type { Fhir } from "../../api/fhir";
import { viewerTimeZone } from "../../format";
import { ResourcePicker } from "../common/ResourcePicker";
import { ACTIONS, type AuditAction, type AuditFilter, type AuditFilterErrors, type AuditOutcome, emptyAuditFilter, OUTCOMES, validateAuditFilter } from "./query";

export interface AuditFiltersProps {
  value: AuditFilter;
  onSearch: (f: AuditFilter) => void;
  fhir: Fhir;
  /** E-mail addresses offered in the user field. */
  users: string[];
}

const shrink = { inputLabel: { shrink: true } } as const;

export function AuditFilters(props: AuditFiltersProps) {
  const [draft, setDraft] = useState(props.value);
  const [errors, setErrors] = useState<AuditFilterErrors>(() => validateAuditFilter(props.value));

  // Back/forward in the browser changes the filter in the address.
  useEffect(() => {
    setDraft(props.value);
    setErrors(validateAuditFilter(props.value));
  }, [props.value]);

  function update(patch: Partial<AuditFilter>) {
    const next = { ...draft, ...patch };
    setDraft(next);
    if (Object.keys(errors).length) setErrors(validateAuditFilter(next));
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const errs = validateAuditFilter(draft);
    setErrors(errs);
    const first = (Object.keys(errs) as (keyof AuditFilter)[])[0];
    if (first) {
      document.getElementById(`audit-${first}`)?.focus();
      return;
    }
    props.onSearch(draft);
  }

  return (
    <Paper component="form" role="search" aria-label="Filter the audit trail" onSubmit={submit} noValidate sx={{ p: { xs: 2, sm: 3 }, mb: 2 }}>
      <Grid container spacing={2}>
        <Grid size={{ xs: 12, md: 6 }}>
          <Autocomplete
            freeSolo
            id="audit-user"
            options={props.users}
            inputValue={draft.user}
            onInputChange={(_, v) => update({ user: v })}
            renderInput={(params) => <TextField {...params} label="User" helperText="E-mail (or its beginning), or a reference such as Practitioner/123." />}
          />
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <ResourcePicker
            id="audit-patient"
            fhir={props.fhir}
            label="Patient"
            types={["Patient"]}
            value={draft.patient}
            onChange={(patient) => update({ patient })}
            error={errors.patient}
            helperText="Search by name, or type an id such as Patient/123."
          />
        </Grid>
        <Grid size={{ xs: 12, sm: 6, md: 3 }}>
          <TextField
            id="audit-action"
            select
            fullWidth
            label="Action"
            value={draft.action}
            onChange={(e) => update({ action: e.target.value as AuditAction })}
            slotProps={{ ...shrink, select: { displayEmpty: true } }}
          >
            <MenuItem value="">Any action</MenuItem>
            {ACTIONS.map((a) => (
              <MenuItem key={a.value} value={a.value}>
                {a.label}
              </MenuItem>
            ))}
          </TextField>
        </Grid>
        <Grid size={{ xs: 12, sm: 6, md: 3 }}>
          <TextField
            id="audit-outcome"
            select
            fullWidth
            label="Outcome"
            value={draft.outcome}
            onChange={(e) => update({ outcome: e.target.value as AuditOutcome })}
            slotProps={{ ...shrink, select: { displayEmpty: true } }}
          >
            <MenuItem value="">Any outcome</MenuItem>
            {OUTCOMES.map((o) => (
              <MenuItem key={o.value} value={o.value}>
                {o.label}
              </MenuItem>
            ))}
          </TextField>
        </Grid>
        <Grid size={{ xs: 12, sm: 6, md: 3 }}>
          <TextField
            id="audit-from"
            type="date"
            fullWidth
            label="From"
            value={draft.from}
            onChange={(e) => update({ from: e.target.value })}
            error={Boolean(errors.from)}
            helperText={errors.from || " "}
            slotProps={shrink}
          />
        </Grid>
        <Grid size={{ xs: 12, sm: 6, md: 3 }}>
          <TextField
            id="audit-to"
            type="date"
            fullWidth
            label="To"
            value={draft.to}
            onChange={(e) => update({ to: e.target.value })}
            error={Boolean(errors.to)}
            helperText={errors.to || " "}
            slotProps={shrink}
          />
        </Grid>
      </Grid>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={1.5} alignItems={{ xs: "stretch", sm: "center" }} sx={{ mt: 1 }}>
        <Button type="submit" variant="contained" startIcon={<SearchIcon aria-hidden />}>
          Search
        </Button>
        <Button
          onClick={() => {
            setDraft(emptyAuditFilter);
            setErrors({});
            props.onSearch(emptyAuditFilter);
          }}
        >
          Clear filters
        </Button>
        <Typography variant="body2" color="text.secondary" sx={{ ml: { sm: "auto" } }}>
          Dates and times are in your time zone ({viewerTimeZone()}).
        </Typography>
      </Stack>
    </Paper>
  );
}
