import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Http } from "../../api/http";
import { Fhir } from "../../api/fhir";
import { navigate } from "../../router";
import { AdminApi } from "../api";
import { AuditPage } from "./AuditPage";

function event(id: string, who: string, patient: string) {
  return {
    resourceType: "AuditEvent",
    id,
    subtype: [{ code: "read", display: "read" }],
    action: "R",
    recorded: "2024-07-01T14:03:05Z",
    outcome: "0",
    agent: [{ requestor: true, name: who, network: { address: "198.51.100.7", type: "2" } }],
    entity: [
      { what: { reference: `${patient}` }, role: { code: "1" } },
      { what: { reference: "Observation/1" }, role: { code: "4" } },
    ],
  };
}

function bundle(entries: unknown[], links: Record<string, string>) {
  return {
    resourceType: "Bundle",
    type: "searchset",
    link: Object.entries(links).map(([relation, url]) => ({ relation, url })),
    entry: entries.map((resource) => ({ resource, search: { mode: "match" } })),
  };
}

let urls: string[] = [];

beforeEach(() => {
  urls = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      urls.push(url);
      if (url === "/v1/admin/users") return new Response(JSON.stringify({ users: [] }), { status: 200 });
      if (url.startsWith("/fhir/r4/AuditEvent?_page=2")) {
        return new Response(JSON.stringify(bundle([event("b", "second@clinic.org", "Patient/8")], { previous: "http://localhost:3000/fhir/r4/AuditEvent?_page=1&x=1" })));
      }
      if (url.startsWith("/fhir/r4/AuditEvent")) {
        return new Response(JSON.stringify(bundle([event("a", "first@clinic.org", "Patient/7")], { self: url, next: "http://localhost:3000/fhir/r4/AuditEvent?_page=2&x=1" })));
      }
      return new Response("{}", { status: 404 });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  navigate("/", { replace: true });
});

function renderPage() {
  const http = new Http(async () => "tok");
  render(<AuditPage api={new AdminApi(http)} http={http} fhir={new Fhir(http)} />);
}

describe("AuditPage", { timeout: 30_000 }, () => {
  it("searches with the filter in the address and pages with the Bundle's links", async () => {
    act(() => navigate("/admin/audit?user=first%40clinic.org&action=R", { replace: true }));
    renderPage();
    const table = await screen.findByRole("table", { name: "Audit events" });
    expect(urls).toContain("/fhir/r4/AuditEvent?_sort=-date&_count=50&agent-name=first%40clinic.org&action=R");
    const row = within(table).getAllByRole("row")[1];
    const cells = within(row).getAllByRole("cell").map((c) => c.textContent);
    expect(within(row).getByRole("rowheader").querySelector("time")?.getAttribute("dateTime")).toBe("2024-07-01T14:03:05Z");
    expect(cells).toEqual(["first@clinic.org", "Read", "Observation/1", "Patient/7", "Success", "198.51.100.7"]);
    expect(screen.getByRole("button", { name: "Previous page" })).toHaveProperty("disabled", true);

    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("second@clinic.org");
    expect(urls).toContain("/fhir/r4/AuditEvent?_page=2&x=1");
    expect(screen.getByText(/Page 2, showing 1/)).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Previous page" }));
    await screen.findByText("first@clinic.org");
    expect(urls).toContain("/fhir/r4/AuditEvent?_page=1&x=1");
  });

  it("puts a new filter in the address and searches again", async () => {
    act(() => navigate("/admin/audit", { replace: true }));
    renderPage();
    await screen.findByRole("table", { name: "Audit events" });
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByLabelText("Patient"));
    await user.paste("7");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(window.location.search).toBe("?patient=7"));
    await waitFor(() => expect(urls).toContain("/fhir/r4/AuditEvent?_sort=-date&_count=50&patient=Patient%2F7"));
  });

  it("refuses a date range that ends before it starts", async () => {
    act(() => navigate("/admin/audit?from=2024-05-02&to=2024-05-01", { replace: true }));
    renderPage();
    expect(await screen.findByText("“To” must be on or after “From”.")).toBeTruthy();
    expect(urls.some((u) => u.startsWith("/fhir/r4/AuditEvent"))).toBe(false);
  });
});
