// Checks of the "Create user" form, mirroring the server's rules
// (internal/auth/account, internal/auth/credential) so that people see what
// to fix before sending. The server stays the judge (it also refuses common
// passwords); its message is shown when it disagrees.
import type { NewUser, UserRole } from "../api";

export const ROLES: { value: UserRole; label: string }[] = [
  { value: "practitioner", label: "Practitioner" },
  { value: "staff", label: "Staff" },
  { value: "admin", label: "Administrator" },
  { value: "patient", label: "Patient" },
];

export function roleLabel(r: string): string {
  return ROLES.find((x) => x.value === r)?.label ?? r;
}

/** The FHIR resource types an account of each role may be linked to. */
export function recordTypes(role: UserRole): string[] {
  switch (role) {
    case "practitioner":
      return ["Practitioner"];
    case "patient":
      return ["Patient", "RelatedPerson"];
    default:
      return ["Practitioner", "Person"];
  }
}

/** Practitioner and patient accounts need a FHIR record: an existing one or one created with the name. */
export function needsRecord(role: UserRole): boolean {
  return role === "practitioner" || role === "patient";
}

export interface UserForm {
  email: string;
  role: UserRole;
  name: string;
  password: string;
  /** "new" creates the record from the name (or none for staff/admin); "existing" links fhirResource. */
  record: "new" | "existing";
  fhirResource: string;
}

export const emptyUserForm: UserForm = { email: "", role: "practitioner", name: "", password: "", record: "new", fhirResource: "" };

export type UserErrors = Partial<Record<"email" | "name" | "password" | "fhirResource", string>>;

const MIN_PASSWORD = 12;
const MAX_PASSWORD_BYTES = 1024;
const SEQUENCES = [
  "abcdefghijklmnopqrstuvwxyz",
  "0123456789",
  "qwertyuiopasdfghjklzxcvbnm",
  "azertyuiopqsdfghjklmwxcvbn",
  "qwertzuiopasdfghjklyxcvbnm",
  "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
  "1q2w3e4r5t6y7u8i9o0p",
  "!@#$%^&*()_+",
];

export function isEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) && s.length <= 254;
}

/** "Practitioner/abc-1" with a FHIR id (1–64 of A–Z a–z 0–9 - .). */
export function isReference(s: string, types?: string[]): boolean {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(s);
  return Boolean(m) && (!types || types.includes(m![1]));
}

function chars(s: string): string[] {
  return Array.from(s);
}

/** A repetition, an alphabet/digit/keyboard run or too few different characters. */
function predictable(pw: string): boolean {
  const s = pw.toLowerCase();
  if (new Set(chars(s)).size < 5) return true;
  for (let p = 1; p <= s.length / 2; p++) {
    if (s.slice(p) === s.slice(0, s.length - p)) return true;
  }
  const rev = chars(s).reverse().join("");
  return SEQUENCES.some((seq) => {
    const run = seq.repeat(Math.floor(s.length / seq.length) + 2);
    return run.includes(s) || run.includes(rev);
  });
}

export interface Strength {
  /** 0 unusable, 1 weak, 2 fair, 3 good, 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  /** What to change, when the password will be refused. */
  problem?: string;
}

/** A strength hint for a new password. */
export function passwordStrength(pw: string): Strength {
  const n = chars(pw).length;
  if (n === 0) return { score: 0, label: "No password yet", problem: "Enter a password." };
  if (new TextEncoder().encode(pw).length > MAX_PASSWORD_BYTES) return { score: 0, label: "Too long", problem: "Use at most 1024 characters." };
  if (n < MIN_PASSWORD) {
    const more = MIN_PASSWORD - n;
    return { score: 1, label: "Too short", problem: `Use at least ${MIN_PASSWORD} characters (${more} more).` };
  }
  if (predictable(pw)) {
    return { score: 1, label: "Too predictable", problem: "Avoid repeats and runs like “abcd”, “1234” or “qwerty”. A few unrelated words work well." };
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (n >= 20 || (n >= 16 && classes >= 3)) return { score: 4, label: "Strong" };
  if (n >= 16 || classes >= 3) return { score: 3, label: "Good" };
  return { score: 2, label: "Fair — longer is safer" };
}

/** Field errors of the form; an empty object means it may be sent. */
export function validateUser(f: UserForm): UserErrors {
  const e: UserErrors = {};
  const email = f.email.trim();
  if (!email) e.email = "Enter the person's e-mail address.";
  else if (!isEmail(email)) e.email = "Enter a full e-mail address, like name@clinic.org.";

  const name = f.name.trim();
  if (f.record === "new" && needsRecord(f.role) && !name) {
    e.name = `Enter the ${f.role === "patient" ? "patient's" : "practitioner's"} name: their record is created with it.`;
  } else if (name.length > 200) e.name = "Use at most 200 characters.";

  if (f.record === "existing") {
    const types = recordTypes(f.role);
    if (!f.fhirResource.trim()) e.fhirResource = "Choose the existing record, or create a new one instead.";
    else if (!isReference(f.fhirResource.trim(), types)) e.fhirResource = `Choose a ${types.join(" or ")} record (for example ${types[0]}/123).`;
  }

  // Patients may sign in with one-time codes instead of a password.
  if (!(f.role === "patient" && f.password === "")) {
    const s = passwordStrength(f.password);
    if (s.problem) e.password = s.problem;
  }
  return e;
}

/** The request body for a valid form. */
export function toNewUser(f: UserForm): NewUser {
  const u: NewUser = { email: f.email.trim(), role: f.role, password: f.password };
  const name = f.name.trim();
  if (name) u.name = name;
  if (f.record === "existing") u.fhirResource = f.fhirResource.trim();
  return u;
}
