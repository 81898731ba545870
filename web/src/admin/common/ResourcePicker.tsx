// Finds a FHIR record by name (Patient, Practitioner, …) and yields its
// reference. A reference typed in full ("Patient/123") is accepted as is.
import { useEffect, useRef, useState } from "react";
import Autocomplete from "@mui/material/Autocomplete";
import TextField from "@mui/material/TextField";
import { displayName, type Fhir, type Resource } from "../../api/fhir";
import { errorText } from "../../components/ErrorPanel";

interface Option {
  ref: string;
  label: string;
}

export interface ResourcePickerProps {
  fhir: Fhir;
  label: string;
  /** Resource types searched by name. */
  types: string[];
  /** The reference (or the raw text typed). */
  value: string;
  onChange: (value: string) => void;
  error?: string;
  helperText?: string;
  id?: string;
}

function describe(r: Resource): Option {
  const ref = `${r.resourceType}/${r.id}`;
  const name = displayName({ name: r.name }) || "(no name)";
  const born = typeof r.birthDate === "string" ? `, born ${r.birthDate}` : "";
  return { ref, label: `${name}${born} — ${ref}` };
}

export function ResourcePicker(props: ResourcePickerProps) {
  const [input, setInput] = useState(props.value);
  const [options, setOptions] = useState<Option[]>([]);
  const [loading, setLoading] = useState(false);
  const [failure, setFailure] = useState("");
  const emitted = useRef(props.value);
  const { fhir, types } = props;
  const typesKey = types.join(",");

  function emit(v: string) {
    emitted.current = v;
    props.onChange(v);
  }

  // The parent reset or replaced the value: show it.
  useEffect(() => {
    if (props.value !== emitted.current) {
      emitted.current = props.value;
      setInput(props.value);
    }
  }, [props.value]);

  useEffect(() => {
    const q = input.trim();
    if (q.length < 2 || /^[A-Z][A-Za-z]+\/\S+$/.test(q) || q.includes(" — ")) {
      setOptions([]);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      setLoading(true);
      Promise.all(typesKey.split(",").map((type) => fhir.search(type, { name: q, _count: 8 })))
        .then((bundles) => {
          if (!live) return;
          setOptions(bundles.flatMap((b) => (b.entry ?? []).filter((e) => e.search?.mode !== "outcome").map((e) => describe(e.resource))));
          setFailure("");
        })
        .catch((e) => live && setFailure(errorText(e)))
        .finally(() => live && setLoading(false));
    }, 300);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [input, fhir, typesKey]);

  const noOptions = failure ? `Search failed: ${failure}` : input.trim().length < 2 ? "Type at least 2 letters of the name" : "No matching records";

  return (
    <Autocomplete<Option, false, false, true>
      freeSolo
      id={props.id}
      options={options}
      filterOptions={(x) => x}
      loading={loading}
      loadingText="Searching…"
      noOptionsText={noOptions}
      forcePopupIcon={false}
      getOptionLabel={(o) => (typeof o === "string" ? o : o.label)}
      isOptionEqualToValue={(a, b) => a.ref === b.ref}
      inputValue={input}
      onInputChange={(_, v, reason) => {
        if (reason === "reset") return;
        setInput(v);
        if (reason === "input" || reason === "clear") emit(v.trim());
      }}
      onChange={(_, v) => {
        if (v && typeof v !== "string") {
          setInput(v.label);
          emit(v.ref);
        }
      }}
      renderInput={(params) => (
        <TextField
          {...params}
          label={props.label}
          error={Boolean(props.error)}
          helperText={props.error || props.helperText || `Search ${types.join(" or ")} records by name, or type a reference such as ${types[0]}/123.`}
        />
      )}
    />
  );
}
