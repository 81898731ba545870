import { displayName, type Resource } from "../../api/fhir";

/**
 * A person's name from a Patient/Practitioner resource. (api/fhir's
 * displayName takes a weak type that TypeScript will not match against
 * Resource directly.)
 */
export function nameOf(r: Resource | null | undefined): string {
  return displayName(r as { name?: unknown } | null | undefined);
}
