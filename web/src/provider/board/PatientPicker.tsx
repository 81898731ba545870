import { useEffect, useRef, useState } from "react";
import Autocomplete from "@mui/material/Autocomplete";
import Box from "@mui/material/Box";
import CircularProgress from "@mui/material/CircularProgress";
import TextField from "@mui/material/TextField";
import { type Resource } from "../../api/fhir";
import { fhir } from "../../auth/session";
import { errorText } from "../../components/ErrorPanel";
import { nameOf } from "../common/names";

const birthFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** A birth date (a calendar date, not an instant: shown as written). */
export function formatBirthDate(d: string | undefined): string {
  if (!d) return "";
  if (/^\d{4}$/.test(d) || /^\d{4}-\d{2}$/.test(d)) return d;
  const t = Date.parse(`${d.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(t) ? d : birthFmt.format(t);
}

/** The words of a name search: each must match a part of the name (given or family). */
export function nameParams(input: string): string[] {
  return input.trim().split(/[\s,]+/).filter(Boolean).slice(0, 4);
}

/** Searches patients by name as the provider types. */
export function PatientPicker(props: { value: Resource | null; onChange: (p: Resource | null) => void; disabled?: boolean }) {
  const [input, setInput] = useState("");
  const [options, setOptions] = useState<Resource[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState("");
  const seq = useRef(0);

  useEffect(() => {
    const words = nameParams(input);
    const my = ++seq.current;
    if (input.trim().length < 2 || (props.value && nameOf(props.value) === input)) {
      setLoading(false);
      return;
    }
    setLoading(true);
    const t = window.setTimeout(() => {
      fhir.search("Patient", { name: words, _count: 10 }).then(
        (b) => {
          if (my !== seq.current) return;
          setOptions((b.entry ?? []).map((e) => e.resource).filter((r) => r.resourceType === "Patient"));
          setError("");
          setLoading(false);
        },
        (e) => {
          if (my !== seq.current) return;
          setOptions([]);
          setError(errorText(e));
          setLoading(false);
        },
      );
    }, 250);
    return () => window.clearTimeout(t);
  }, [input, props.value]);

  return (
    <Autocomplete<Resource>
      value={props.value}
      onChange={(_, v) => props.onChange(v)}
      inputValue={input}
      onInputChange={(_, v) => setInput(v)}
      options={options}
      loading={loading}
      disabled={props.disabled}
      filterOptions={(x) => x}
      autoHighlight
      getOptionLabel={(p) => nameOf(p) || "Unnamed patient"}
      isOptionEqualToValue={(a, b) => a.id === b.id}
      noOptionsText={input.trim().length < 2 ? "Type at least 2 letters of the name" : "No patients found with that name"}
      loadingText="Searching…"
      renderOption={(liProps, p) => {
        const { key, ...rest } = liProps as typeof liProps & { key: string };
        return (
          <Box component="li" key={p.id ?? key} {...rest} sx={{ display: "flex", flexDirection: "column", alignItems: "flex-start !important" }}>
            <span>{nameOf(p) || "Unnamed patient"}</span>
            <Box component="span" sx={{ color: "text.secondary", fontSize: "0.875rem" }}>
              {[p.birthDate ? `born ${formatBirthDate(p.birthDate)}` : "", p.gender && p.gender !== "unknown" ? p.gender : ""].filter(Boolean).join(" · ")}
            </Box>
          </Box>
        );
      }}
      renderInput={(params) => (
        <TextField
          {...params}
          label="Patient"
          autoFocus
          error={!!error}
          helperText={error || "Search by first or last name"}
          slotProps={{
            input: {
              ...params.InputProps,
              endAdornment: (
                <>
                  {loading ? <CircularProgress color="inherit" size={18} aria-label="Searching" /> : null}
                  {params.InputProps.endAdornment}
                </>
              ),
            },
          }}
        />
      )}
    />
  );
}
