import Box from "@mui/material/Box";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { buildMedicationRequest, cancelRequest, prescriptionInputFrom, type ChartContext, type PrescriptionInput } from "./builders";
import { describeMedication } from "./describe";
import { FormActions } from "./FormActions";
import { SavedList } from "./SavedList";
import { Suggestions } from "./Suggestions";
import type { ChartList } from "./useChart";
import { useEntryForm } from "./useEntryForm";

const EMPTY: PrescriptionInput & Record<string, string> = { medication: "", dose: "", route: "", frequency: "", durationDays: "", quantity: "", refills: "" };

type Field = keyof PrescriptionInput;

const ROUTE_SUGGESTIONS = ["By mouth", "On the skin", "Inhaled", "In the eye", "Under the skin (injection)"];
const FREQUENCY_SUGGESTIONS = ["Once a day", "Twice a day", "Three times a day", "Every 6 hours as needed", "At bedtime"];

const FIELDS: { field: Field; label: string; help?: string; suggestions?: string[]; numeric?: boolean; wide?: boolean }[] = [
  { field: "medication", label: "Medication", help: "Name and strength, for example amoxicillin 500 mg capsule", wide: true },
  { field: "dose", label: "Dose", help: "For example 500 mg or 1 tablet" },
  { field: "route", label: "Route", suggestions: ROUTE_SUGGESTIONS },
  { field: "frequency", label: "Frequency", help: "Words such as twice a day, every 8 hours, as needed", suggestions: FREQUENCY_SUGGESTIONS },
  { field: "durationDays", label: "Duration (days)", numeric: true },
  { field: "quantity", label: "Quantity", help: "How much to dispense", numeric: true },
  { field: "refills", label: "Refills", numeric: true },
];

export function PrescriptionsTab(props: { ctx: ChartContext; list: ChartList }) {
  const f = useEntryForm(EMPTY, props.list, (v, base) => buildMedicationRequest(props.ctx, v, base), (v) => v.medication.trim());
  return (
    <>
      <Stack component="form" spacing={2} noValidate aria-label={f.editing ? "Edit prescription" : "Add a prescription"} onSubmit={(e) => { e.preventDefault(); void f.submit(); }}>
        <Box sx={{ display: "grid", gap: 2, gridTemplateColumns: { xs: "minmax(0, 1fr)", sm: "repeat(2, minmax(0, 1fr))" } }}>
          {FIELDS.map((d) => (
            <Box key={d.field} sx={d.wide ? { gridColumn: "1 / -1" } : undefined}>
              <TextField
                label={d.label}
                required={d.field === "medication"}
                value={f.values[d.field]}
                onChange={(e) => f.set(d.field, e.target.value)}
                error={!!f.errors[d.field]}
                helperText={f.errors[d.field] ?? d.help}
                slotProps={{ htmlInput: d.numeric ? { inputMode: "numeric", pattern: "[0-9]*" } : {} }}
                fullWidth
              />
              {d.suggestions ? <Suggestions field={d.label} options={d.suggestions} onPick={(v) => f.set(d.field, v)} /> : null}
            </Box>
          ))}
        </Box>
        <FormActions form={f} addLabel="Add prescription" />
      </Stack>
      <SavedList
        title="Prescriptions of this visit"
        noun="prescription"
        list={props.list}
        describe={describeMedication}
        retracted={cancelRequest}
        editingId={f.editing?.id}
        onEdit={(r) => f.edit(r, prescriptionInputFrom(r) as typeof EMPTY)}
      />
    </>
  );
}
