import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { type Column, ResponsiveTable } from "./ResponsiveTable";

type Row = { id: string; name: string; role: string };
const rows: Row[] = [
  { id: "1", name: "Ada", role: "Staff" },
  { id: "2", name: "Ben", role: "Patient" },
];
const columns: Column<Row>[] = [
  { header: "Name", rowHeader: true, cell: (r) => r.name },
  { header: "Role", cell: (r) => r.role },
  { header: "Actions", actions: true, cell: (r) => <button type="button">Edit {r.name}</button> },
];

function screenWidth(narrow: boolean) {
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: narrow,
    media: query,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    addListener: () => undefined,
    removeListener: () => undefined,
    dispatchEvent: () => false,
  }));
}

afterEach(() => vi.unstubAllGlobals());

describe("ResponsiveTable", () => {
  it("is a table with row headers on wide screens", () => {
    screenWidth(false);
    render(<ResponsiveTable label="People" rows={rows} rowKey={(r) => r.id} columns={columns} />);
    const table = screen.getByRole("table", { name: "People" });
    expect(within(table).getAllByRole("rowheader").map((c) => c.textContent)).toEqual(["Ada", "Ben"]);
    expect(within(table).getAllByRole("columnheader").map((c) => c.textContent)).toEqual(["Name", "Role", "Actions"]);
  });

  it("is a list of cards with labelled values on phones", async () => {
    screenWidth(true);
    render(<ResponsiveTable label="People" rows={rows} rowKey={(r) => r.id} columns={columns} />);
    const list = await screen.findByRole("list", { name: "People" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[1].textContent).toBe("BenRolePatientEdit Ben");
    expect(within(items[0]).getByRole("button", { name: "Edit Ada" })).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();
  });
});
