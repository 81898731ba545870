import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { buildServiceRequest, cancelRequest, type ChartContext } from "./builders";
import { describeOrder } from "./describe";
import { FormActions } from "./FormActions";
import { SavedList } from "./SavedList";
import { Suggestions } from "./Suggestions";
import type { ChartList } from "./useChart";
import { useEntryForm } from "./useEntryForm";

const COMMON_ORDERS = [
  "Complete blood count (CBC)",
  "Basic metabolic panel (BMP)",
  "Comprehensive metabolic panel (CMP)",
  "Lipid panel",
  "Hemoglobin A1c",
  "Thyroid-stimulating hormone (TSH)",
  "Urinalysis",
  "Urine culture",
  "Rapid strep test",
  "COVID-19 PCR test",
  "Chest X-ray",
];

const EMPTY = { text: "" };

export function OrdersTab(props: { ctx: ChartContext; list: ChartList }) {
  const f = useEntryForm(EMPTY, props.list, (v, base) => buildServiceRequest(props.ctx, v, base), (v) => v.text.trim());
  return (
    <>
      <Stack component="form" spacing={2} noValidate aria-label={f.editing ? "Edit order" : "Add an order"} onSubmit={(e) => { e.preventDefault(); void f.submit(); }}>
        <TextField
          label="Test or order"
          required
          value={f.values.text}
          onChange={(e) => f.set("text", e.target.value)}
          error={!!f.errors.text}
          helperText={f.errors.text ?? "A lab test, imaging or referral. Pick a suggestion or type your own."}
          fullWidth
        />
        <Suggestions field="Test or order" options={COMMON_ORDERS} onPick={(v) => f.set("text", v)} />
        <FormActions form={f} addLabel="Add order" />
      </Stack>
      <SavedList
        title="Orders of this visit"
        noun="order"
        list={props.list}
        describe={describeOrder}
        retracted={cancelRequest}
        editingId={f.editing?.id}
        onEdit={(r) => f.edit(r, { text: r.code?.text ?? "" })}
      />
    </>
  );
}
