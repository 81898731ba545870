import { describe, expect, it } from "vitest";
import { type ClientForm, emptyClientForm, redirectProblem, scopeProblem, toNewClient, validateClientForm } from "./validate";

const f = (patch: Partial<ClientForm>): ClientForm => ({
  ...emptyClientForm,
  name: "Lab portal",
  redirectUris: "https://lab.example.org/callback",
  scopes: "openid fhirUser user/*.rs",
  ...patch,
});

describe("validateClientForm", () => {
  it.each<[string, Partial<ClientForm>, Record<string, string>]>([
    ["a web app", {}, {}],
    ["no name", { name: "  " }, { name: "Enter a name that says which app or service this is." }],
    ["no grant", { grants: [] }, { grants: "Choose at least one way the client gets tokens." }],
    ["sign-in needs a redirect", { redirectUris: "" }, { redirectUris: "Enter where the app receives the sign-in answer (its redirect URI)." }],
    ["plain http elsewhere than localhost", { redirectUris: "http://lab.example.org/cb" }, { redirectUris: "“http://lab.example.org/cb” uses http: only allowed for localhost while developing. Use https." }],
    ["fragment", { redirectUris: "https://lab.example.org/cb#x" }, { redirectUris: "“https://lab.example.org/cb#x” must not contain a # part." }],
    ["bad scope", { scopes: "openid user/Patient" }, { scopes: "“user/Patient” is not a valid scope: write it like user/Patient.rs or system/*.read." }],
    ["no scopes", { scopes: "" }, { scopes: "Enter the scopes the client may ask for, such as openid fhirUser user/*.rs." }],
    ["public with system scopes", { type: "public", scopes: "system/*.rs" }, { scopes: "A public app cannot have system/ scopes." }],
    [
      "backend service",
      { grants: ["client_credentials"], redirectUris: "", scopes: "system/Patient.rs system/Observation.read" },
      {},
    ],
    [
      "backend service without system scopes",
      { grants: ["client_credentials"], redirectUris: "", scopes: "user/*.rs" },
      { scopes: "A backend service (client credentials) needs system/ scopes, such as system/*.rs." },
    ],
    ["public app cannot use client credentials", { type: "public", grants: ["client_credentials"] }, { grants: "A public app has no secret, so it cannot use client credentials." }],
  ])("%s", (_, patch, want) => {
    expect(validateClientForm(f(patch))).toEqual(want);
  });
});

describe("redirectProblem and scopeProblem", () => {
  it.each(["https://a.example/cb", "http://localhost:8080/cb", "http://127.0.0.1/cb", "http://[::1]:3000/cb", "com.example.app:/callback"])("accepts %s", (u) =>
    expect(redirectProblem(u)).toBe(""),
  );
  it.each(["openid", "fhirUser", "launch/patient", "patient/*.cruds", "user/Observation.rs?category=laboratory", "system/*.*", "custom-scope"])("accepts scope %s", (s) =>
    expect(scopeProblem(s)).toBe(""),
  );
  it.each(["user/Patient.x", "user/patient.rs", "patient/*.", "user/Observation.read?x=1", 'a"b'])("refuses scope %s", (s) => expect(scopeProblem(s)).not.toBe(""));
});

it("toNewClient", () => {
  expect(toNewClient(f({ name: " Lab ", scopes: " openid  openid user/*.rs ", redirectUris: "https://a.example/cb\n\n https://b.example/cb ", grants: ["refresh_token", "authorization_code"] }))).toEqual({
    name: "Lab",
    scopes: "openid user/*.rs",
    redirectUris: ["https://a.example/cb", "https://b.example/cb"],
    grantTypes: ["authorization_code", "refresh_token"],
    public: false,
  });
});
