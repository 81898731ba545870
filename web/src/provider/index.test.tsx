import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import { setSession } from "../auth/session";
import ProviderApp, { viewerOf } from "./index";

vi.mock("../call", () => ({ CallView: () => <div>call</div> }));

afterEach(() => setSession(null));

describe("ProviderApp", () => {
  it("asks to sign in without a session", () => {
    window.history.replaceState(null, "", "/board");
    render(<ProviderApp />);
    expect(screen.getByRole("heading", { name: "Sign in to see your visits" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeTruthy();
  });

  it("sends patients to their own page", () => {
    setSession({ kind: "user", accessToken: "t", expiresAt: Date.now() + 3600e3, scope: "", role: "patient", fhirUser: "Patient/p1", name: "Jane" });
    render(<ProviderApp />);
    expect(screen.getByRole("heading", { name: "This page is for clinic staff" })).toBeTruthy();
  });
});

describe("viewerOf", () => {
  it("practitioners see their own visits, staff and admins all", () => {
    expect(viewerOf({ role: "practitioner", fhirUser: "Practitioner/1" })).toEqual({ fhirUser: "Practitioner/1", seesAll: false });
    expect(viewerOf({ role: "staff", fhirUser: "Practitioner/2" })).toEqual({ fhirUser: "Practitioner/2", seesAll: true });
    expect(viewerOf({ role: "admin", fhirUser: "" })).toEqual({ fhirUser: undefined, seesAll: true });
  });
});
