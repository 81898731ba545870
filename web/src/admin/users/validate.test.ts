import { describe, expect, it } from "vitest";
import { emptyUserForm, passwordStrength, toNewUser, type UserForm, validateUser } from "./validate";

const good = "river tulip orbit 42";
const f = (patch: Partial<UserForm>): UserForm => ({ ...emptyUserForm, email: "dr.lee@clinic.org", name: "Dana Lee", password: good, ...patch });

describe("validateUser", () => {
  it.each<[string, Partial<UserForm>, Record<string, string>]>([
    ["a valid practitioner", {}, {}],
    ["no e-mail", { email: " " }, { email: "Enter the person's e-mail address." }],
    ["not an e-mail", { email: "dana" }, { email: "Enter a full e-mail address, like name@clinic.org." }],
    ["practitioner without a name gets a record created from it", { name: "" }, { name: "Enter the practitioner's name: their record is created with it." }],
    ["patient without a name", { role: "patient", name: "" }, { name: "Enter the patient's name: their record is created with it." }],
    ["staff may have no name", { role: "staff", name: "" }, {}],
    ["existing record not chosen", { record: "existing", fhirResource: "" }, { fhirResource: "Choose the existing record, or create a new one instead." }],
    ["existing record of the wrong type", { record: "existing", fhirResource: "Patient/1" }, { fhirResource: "Choose a Practitioner record (for example Practitioner/123)." }],
    ["existing record, no name needed", { record: "existing", fhirResource: "Practitioner/abc", name: "" }, {}],
    ["patient linked to a RelatedPerson", { role: "patient", record: "existing", fhirResource: "RelatedPerson/3" }, {}],
    ["short password", { password: "short pw" }, { password: "Use at least 12 characters (4 more)." }],
    ["predictable password", { password: "abcdefghijklmn" }, { password: "Avoid repeats and runs like “abcd”, “1234” or “qwerty”. A few unrelated words work well." }],
    ["repeated password", { password: "abcabcabcabc" }, { password: "Avoid repeats and runs like “abcd”, “1234” or “qwerty”. A few unrelated words work well." }],
    ["staff must have a password", { role: "staff", password: "" }, { password: "Enter a password." }],
    ["patients may sign in with codes only", { role: "patient", password: "" }, {}],
  ])("%s", (_, patch, want) => {
    expect(validateUser(f(patch))).toEqual(want);
  });
});

describe("passwordStrength", () => {
  it.each([
    ["", 0],
    ["aaaaaaaaaaaaaaaa", 1],
    ["qwertyuiopas", 1],
    ["lmnbvcxzpoiu", 2],
    ["Lmnbvcxz9oiu", 3],
    ["river tulip orbit 42", 4],
  ])("%s → %i", (pw, score) => {
    expect(passwordStrength(pw).score).toBe(score);
  });
});

describe("toNewUser", () => {
  it("sends the record or the name the server creates it from", () => {
    expect(toNewUser(f({ email: " Dr.Lee@clinic.org " }))).toEqual({ email: "Dr.Lee@clinic.org", role: "practitioner", password: good, name: "Dana Lee" });
    expect(toNewUser(f({ record: "existing", fhirResource: "Practitioner/9", name: "" }))).toEqual({
      email: "dr.lee@clinic.org",
      role: "practitioner",
      password: good,
      fhirResource: "Practitioner/9",
    });
  });
});
