// Renders a Questionnaire's items as form fields labelled by their text:
// short and long text, whole and decimal numbers (with the range from the
// minValue/maxValue extensions), dates, yes/no, and choices (radio buttons,
// check boxes when several answers are allowed, a list when there are many).
import Box from "@mui/material/Box";
import Checkbox from "@mui/material/Checkbox";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormGroup from "@mui/material/FormGroup";
import FormHelperText from "@mui/material/FormHelperText";
import FormLabel from "@mui/material/FormLabel";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import {
  isAnswerable,
  isEnabled,
  numberHint,
  numberRange,
  optionLabel,
  type FormValue,
  type FormValues,
  type QItem,
} from "./questionnaire";

/** Above this many options a choice is a drop-down list instead of radio buttons. */
const MAX_RADIOS = 6;

export interface ItemsProps {
  items: QItem[] | undefined;
  values: FormValues;
  errors: Record<string, string>;
  onChange: (linkId: string, v: FormValue) => void;
  byId: Map<string, QItem>;
  disabled?: boolean;
}

/** A DOM id for an item (linkIds may hold any character). */
export function fieldId(linkId: string): string {
  return "q-" + linkId.replace(/[^A-Za-z0-9_-]/g, "_");
}

function Question(props: { item: QItem } & Omit<ItemsProps, "items">) {
  const { item, values, errors, onChange, disabled } = props;
  const id = fieldId(item.linkId);
  const label = item.text ?? item.linkId;
  const err = errors[item.linkId] ?? "";
  const v = values[item.linkId];
  const readOnly = disabled || item.readOnly;

  if (item.type === "boolean") {
    return (
      <FormControl component="fieldset" error={!!err} required={item.required} disabled={readOnly}>
        <FormLabel component="legend" id={`${id}-label`}>
          {label}
        </FormLabel>
        <RadioGroup
          row
          aria-labelledby={`${id}-label`}
          aria-required={item.required || undefined}
          aria-describedby={err ? `${id}-error` : undefined}
          name={id}
          value={typeof v === "boolean" ? String(v) : ""}
          onChange={(e) => onChange(item.linkId, e.target.value === "true")}
        >
          <FormControlLabel value="true" control={<Radio id={id} />} label="Yes" />
          <FormControlLabel value="false" control={<Radio />} label="No" />
        </RadioGroup>
        {err ? <FormHelperText id={`${id}-error`}>{err}</FormHelperText> : null}
      </FormControl>
    );
  }

  if (item.type === "choice" || item.type === "open-choice") {
    const options = item.answerOption ?? [];
    if (item.repeats) {
      const chosen = Array.isArray(v) ? v : [];
      const toggle = (i: string, on: boolean) =>
        onChange(item.linkId, on ? [...chosen.filter((x) => x !== i), i].sort() : chosen.filter((x) => x !== i));
      return (
        <FormControl component="fieldset" error={!!err} required={item.required} disabled={readOnly}>
          <FormLabel component="legend" id={`${id}-label`}>
            {label}
          </FormLabel>
          <FormGroup aria-labelledby={`${id}-label`} aria-describedby={err ? `${id}-error` : undefined}>
            {options.map((o, i) => (
              <FormControlLabel
                key={i}
                control={<Checkbox checked={chosen.includes(String(i))} onChange={(e) => toggle(String(i), e.target.checked)} />}
                label={optionLabel(o)}
              />
            ))}
          </FormGroup>
          {err ? <FormHelperText id={`${id}-error`}>{err}</FormHelperText> : null}
        </FormControl>
      );
    }
    if (options.length > MAX_RADIOS) {
      return (
        <TextField
          id={id}
          select
          label={label}
          required={item.required}
          disabled={readOnly}
          value={typeof v === "string" ? v : ""}
          onChange={(e) => onChange(item.linkId, e.target.value)}
          error={!!err}
          helperText={err || undefined}
          slotProps={{ select: { native: true }, inputLabel: { shrink: true } }}
          fullWidth
        >
          <option value="">Choose…</option>
          {options.map((o, i) => (
            <option key={i} value={String(i)}>
              {optionLabel(o)}
            </option>
          ))}
        </TextField>
      );
    }
    return (
      <FormControl component="fieldset" error={!!err} required={item.required} disabled={readOnly}>
        <FormLabel component="legend" id={`${id}-label`}>
          {label}
        </FormLabel>
        <RadioGroup
          aria-labelledby={`${id}-label`}
          aria-required={item.required || undefined}
          aria-describedby={err ? `${id}-error` : undefined}
          name={id}
          value={typeof v === "string" ? v : ""}
          onChange={(e) => onChange(item.linkId, e.target.value)}
        >
          {options.map((o, i) => (
            <FormControlLabel key={i} value={String(i)} control={<Radio id={i === 0 ? id : undefined} />} label={optionLabel(o)} />
          ))}
        </RadioGroup>
        {err ? <FormHelperText id={`${id}-error`}>{err}</FormHelperText> : null}
      </FormControl>
    );
  }

  const isNumber = item.type === "integer" || item.type === "decimal";
  const { min, max } = numberRange(item);
  const hint = isNumber ? numberHint(item) : "";
  return (
    <TextField
      id={id}
      label={label}
      required={item.required}
      disabled={readOnly}
      value={typeof v === "string" ? v : ""}
      onChange={(e) => onChange(item.linkId, e.target.value)}
      error={!!err}
      helperText={err || hint || undefined}
      multiline={item.type === "text"}
      minRows={item.type === "text" ? 2 : undefined}
      type={isNumber ? "number" : item.type === "date" ? "date" : "text"}
      fullWidth={!isNumber}
      sx={isNumber ? { maxWidth: 240 } : undefined}
      slotProps={{
        inputLabel: item.type === "date" ? { shrink: true } : undefined,
        htmlInput: {
          ...(isNumber ? { min, max, step: item.type === "integer" ? 1 : "any", inputMode: item.type === "integer" ? "numeric" : "decimal" } : {}),
          ...(item.maxLength ? { maxLength: item.maxLength } : {}),
        },
      }}
    />
  );
}

/** The shown items of a list (following enableWhen), groups with their heading. */
export function QuestionnaireItems(props: ItemsProps) {
  const { items, ...rest } = props;
  return (
    <>
      {(items ?? [])
        .filter((it) => isEnabled(it, props.values, props.byId))
        .map((it) => {
          if (it.type === "group") {
            return (
              <Box key={it.linkId} component="section" aria-labelledby={`${fieldId(it.linkId)}-heading`}>
                {it.text ? (
                  <Typography variant="h3" component="h3" id={`${fieldId(it.linkId)}-heading`} sx={{ mb: 2 }}>
                    {it.text}
                  </Typography>
                ) : null}
                <Stack spacing={3}>
                  <QuestionnaireItems items={it.item} {...rest} />
                </Stack>
              </Box>
            );
          }
          if (it.type === "display") {
            return (
              <Typography key={it.linkId} color="text.secondary">
                {it.text}
              </Typography>
            );
          }
          if (!isAnswerable(it)) return null;
          return (
            <Box key={it.linkId}>
              <Question item={it} {...rest} />
              {it.item?.length ? (
                <Stack spacing={3} sx={{ mt: 2, pl: 2 }}>
                  <QuestionnaireItems items={it.item} {...rest} />
                </Stack>
              ) : null}
            </Box>
          );
        })}
    </>
  );
}
