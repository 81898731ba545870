import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Http } from "../../api/http";
import { Fhir } from "../../api/fhir";
import { AdminApi } from "../api";
import { UsersPage } from "./UsersPage";

afterEach(() => vi.unstubAllGlobals());

// GET /v1/admin/users as contract section 6 describes it.
const listing = {
  users: [
    { id: "u1", email: "admin@clinic.org", role: "admin", fhirResource: "", disabled: false, totp: true, created: "2024-05-01T09:00:00Z" },
    { id: "u2", email: "dr.lee@clinic.org", role: "practitioner", fhirResource: "Practitioner/12", name: "Dana Lee", disabled: false, totp: true, created: "2024-05-02T09:00:00Z" },
    { id: "u3", email: "jo@example.org", role: "patient", fhirResource: "Patient/7", disabled: true, totp: false, created: "2024-05-03T09:00:00Z" },
  ],
};

type Call = { url: string; method: string; body?: string };

function server(routes: Record<string, (c: Call) => [number, unknown]>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const c = { url, method: init?.method ?? "GET", body: init?.body as string | undefined };
    calls.push(c);
    const h = routes[`${c.method} ${url}`];
    if (!h) return new Response(JSON.stringify({ code: 404, message: "not found" }), { status: 404 });
    const [status, body] = h(c);
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

function renderPage(selfId = "u1") {
  const http = new Http(async () => "tok");
  return render(<UsersPage api={new AdminApi(http)} fhir={new Fhir(http)} selfId={selfId} />);
}

describe("UsersPage", { timeout: 20_000 }, () => {
  it("renders the users table from the API's JSON", async () => {
    server({ "GET /v1/admin/users": () => [200, listing] });
    renderPage();
    const table = await screen.findByRole("table", { name: "Users" });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(4);
    const cells = (i: number) => within(rows[i]).getAllByRole("cell").map((c) => c.textContent);

    expect(within(rows[1]).getByRole("rowheader").textContent).toContain("admin@clinic.org (you)");
    expect(cells(1).slice(0, 4)).toEqual(["Administrator", "None", "On", "Active"]);
    expect(within(rows[1]).getByRole("button", { name: "Disable admin@clinic.org" })).toHaveProperty("disabled", true);

    expect(cells(2).slice(0, 4)).toEqual(["Practitioner", "Dana LeePractitioner/12", "On", "Active"]);
    expect(within(rows[2]).getByRole("button", { name: "Reset second factor of dr.lee@clinic.org" })).toHaveProperty("disabled", false);

    expect(cells(3).slice(0, 4)).toEqual(["Patient", "Patient/7", "Off", "Disabled"]);
    expect(within(rows[3]).getByRole("button", { name: "Enable jo@example.org" })).toBeTruthy();
    expect(within(rows[3]).getByRole("button", { name: "Reset second factor of jo@example.org" })).toHaveProperty("disabled", true);
  });

  it("asks before disabling, then shows the server's answer", async () => {
    const calls = server({
      "GET /v1/admin/users": () => [200, listing],
      "POST /v1/admin/users/u2/disable": () => [200, { ...listing.users[1], disabled: true }],
    });
    renderPage();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Disable dr.lee@clinic.org" }));
    const dialog = screen.getByRole("dialog", { name: "Disable dr.lee@clinic.org?" });
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Disable user" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.map((c) => `${c.method} ${c.url}`)).toContain("POST /v1/admin/users/u2/disable");
    expect(screen.getByRole("button", { name: "Enable dr.lee@clinic.org" })).toBeTruthy();
    expect(screen.getByText("dr.lee@clinic.org is disabled.")).toBeTruthy();
  });

  it("explains a failed load and offers to try again", async () => {
    server({ "GET /v1/admin/users": () => [403, { code: 403, message: "administrators only" }] });
    renderPage();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The users could not be loaded");
    expect(alert.textContent).toContain("You don't have permission to do this: administrators only");
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeTruthy();
  });
});
