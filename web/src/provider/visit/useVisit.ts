import { useEffect, useState } from "react";
import { splitRef, type Resource } from "../../api/fhir";
import { fhir } from "../../auth/session";

/** The visit's Encounter and its patient. */
export function useVisit(id: string) {
  const [enc, setEnc] = useState<Resource | null>(null);
  const [patient, setPatient] = useState<Resource | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    fhir.read("Encounter", id).then(
      (e) => {
        if (!live) return;
        setEnc(e);
        const ref = splitRef(e.subject?.reference);
        if (ref?.[0] === "Patient") fhir.read("Patient", ref[1]).then((p) => live && setPatient(p), () => undefined);
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [id, attempt]);
  return { enc, patient, error, retry: () => setAttempt((n) => n + 1) };
}
