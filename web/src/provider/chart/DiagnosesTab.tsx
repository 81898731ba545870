import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { buildCondition, retractCondition, type ChartContext } from "./builders";
import { diagnosisCoding, ICD10CM } from "./codes";
import { describeCondition } from "./describe";
import { FormActions } from "./FormActions";
import { SavedList } from "./SavedList";
import type { ChartList } from "./useChart";
import { useEntryForm } from "./useEntryForm";

const EMPTY = { text: "", code: "" };

function codeHint(code: string): string {
  if (!code.trim()) return "Optional: an ICD-10-CM code (for example J06.9) or a SNOMED CT number.";
  const r = diagnosisCoding(code);
  if (r.error) return r.error;
  return r.coding!.system === ICD10CM ? `ICD-10-CM ${r.coding!.code}` : `SNOMED CT ${r.coding!.code}`;
}

export function DiagnosesTab(props: { ctx: ChartContext; list: ChartList }) {
  const f = useEntryForm(EMPTY, props.list, (v, base) => buildCondition(props.ctx, v, base), (v) => v.text.trim());
  const codeProblem = !!f.values.code.trim() && !!diagnosisCoding(f.values.code).error;
  return (
    <>
      <Stack component="form" spacing={2} noValidate aria-label={f.editing ? "Edit diagnosis" : "Add a diagnosis"} onSubmit={(e) => { e.preventDefault(); void f.submit(); }}>
        <TextField
          label="Diagnosis"
          required
          value={f.values.text}
          onChange={(e) => f.set("text", e.target.value)}
          error={!!f.errors.text}
          helperText={f.errors.text}
          fullWidth
        />
        <TextField
          label="Code"
          value={f.values.code}
          onChange={(e) => f.set("code", e.target.value)}
          error={!!f.errors.code || codeProblem}
          helperText={f.errors.code ?? codeHint(f.values.code)}
          slotProps={{ htmlInput: { autoCapitalize: "characters", spellCheck: false } }}
          fullWidth
        />
        <FormActions form={f} addLabel="Add diagnosis" />
      </Stack>
      <SavedList
        title="Diagnoses of this visit"
        noun="diagnosis"
        list={props.list}
        describe={describeCondition}
        retracted={retractCondition}
        editingId={f.editing?.id}
        onEdit={(r) => f.edit(r, { text: r.code?.text ?? "", code: r.code?.coding?.[0]?.code ?? "" })}
      />
    </>
  );
}
