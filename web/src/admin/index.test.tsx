import { afterEach, describe, expect, it, vi } from "vitest";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import { setSession, type UserSession } from "../auth/session";
import { navigate } from "../router";
import AdminApp from "./index";

function token(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "");
  return `${b64({ alg: "none" })}.${b64(claims)}.sig`;
}

function session(role: UserSession["role"]): UserSession {
  return { kind: "user", accessToken: token({ sub: "u1", role }), expiresAt: Date.now() + 3600_000, scope: "", role, fhirUser: "", email: "a@clinic.org" };
}

afterEach(() => {
  vi.unstubAllGlobals();
  act(() => setSession(null));
  navigate("/", { replace: true });
});

describe("AdminApp", { timeout: 20_000 }, () => {
  it("asks people who are not signed in to sign in", () => {
    act(() => navigate("/admin/users", { replace: true }));
    render(<AdminApp />);
    expect(screen.getByRole("heading", { name: "Sign in to continue" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeTruthy();
  });

  it("turns away signed-in people who are not administrators", () => {
    act(() => {
      setSession(session("practitioner"));
      navigate("/admin/users", { replace: true });
    });
    render(<AdminApp />);
    expect(screen.getByRole("heading", { name: "For administrators only" })).toBeTruthy();
    expect(screen.queryByRole("navigation", { name: "Administration" })).toBeNull();
  });

  it("shows the sections to administrators and opens Users from /admin", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ users: [] }), { status: 200 })));
    act(() => {
      setSession(session("admin"));
      navigate("/admin", { replace: true });
    });
    render(<AdminApp />);
    const nav = screen.getByRole("navigation", { name: "Administration" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Users", "API clients", "Webhooks", "Audit trail"]);
    await waitFor(() => expect(window.location.pathname).toBe("/admin/users"));
    expect(within(nav).getByRole("link", { name: "Users" }).getAttribute("aria-current")).toBe("page");
    expect(await screen.findByText("No users yet. Use “Create user” to add the first one.")).toBeTruthy();

    act(() => navigate("/admin/webhooks"));
    expect(screen.getByRole("heading", { name: "Webhooks" })).toBeTruthy();
    expect(within(nav).getByRole("link", { name: "Webhooks" }).getAttribute("aria-current")).toBe("page");
  });
});
