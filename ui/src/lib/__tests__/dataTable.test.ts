import { createRawSnippet } from "svelte";
import { render } from "svelte/server";
import { describe, expect, it } from "vitest";
import DataTable, { type Column } from "../components/DataTable.svelte";

interface Item {
  id: number;
  name: string;
  price: string;
}

const rows: Item[] = [
  { id: 1, name: "Green tea", price: "38.00" },
  { id: 2, name: "Oolong", price: "29.00" },
];

const columns: Column<Item>[] = [
  { label: "Item", rowHeader: true, text: (r) => r.name },
  { label: "Price", num: true, text: (r) => r.price },
  { label: "Code", look: "mono", text: (r) => `SKU-${r.id}`, title: (r) => `code of ${r.name}` },
];

/** The markup without Svelte's hydration comments and scoping classes. */
function html(props: Record<string, unknown>): string {
  const { body } = render(DataTable<Item>, { props: props as never });
  return body
    .replace(/<!--[^>]*-->/g, "")
    .replace(/\s*svelte-[a-z0-9]+/g, "")
    .replace(/ class="\s*"/g, "")
    .replace(/class="\s+/g, 'class="')
    .replace(/\s+/g, " ");
}

describe("DataTable", () => {
  it("is a table named by its label, with column and row headers", () => {
    const out = html({ id: "t", label: "Sales", columns, rows, key: (r: Item) => r.id });
    expect(out).toContain('<table id="t" class="data-table list" aria-label="Sales">');
    expect(out).toContain('<th scope="col">Item</th>');
    expect(out).toContain('<th scope="col" class="num">Price</th>');
    expect(out).toContain('<th scope="row">Green tea</th>');
    expect(out).toContain('<td class="num">29.00</td>');
    expect(out).toContain('<td class="mono" title="code of Oolong">SKU-2</td>');
  });

  it("can be named by a heading or its own caption", () => {
    expect(html({ labelledby: "h", columns, rows, key: (r: Item) => r.id })).toContain('aria-labelledby="h"');
    expect(html({ caption: "Taxes", columns, rows: [], key: (r: Item) => r.id })).toContain("<caption>Taxes</caption>");
  });

  it("puts each row's attributes on its <tr>", () => {
    const out = html({
      label: "x",
      columns,
      rows,
      key: (r: Item) => r.id,
      rowAttrs: (r: Item) => ({ class: "line", "data-id": r.id }),
    });
    expect(out).toContain('<tr class="line" data-id="1">');
    expect(out).toContain('<tr class="line" data-id="2">');
  });

  it("says when there is nothing, across all columns", () => {
    const out = html({ label: "x", columns, rows: [], key: (r: Item) => r.id, empty: "None" });
    expect(out).toContain('<td colspan="3" class="empty">None</td>');
    expect(html({ label: "x", columns, rows: [], key: (r: Item) => r.id })).not.toContain("colspan");
  });

  it("renders a snippet where a cell is more than text", () => {
    const cell = createRawSnippet((row: () => Item) => ({ render: () => `<b>${row().name}</b>` }));
    const out = html({ label: "x", columns: [{ label: "Item", cell }], rows, key: (r: Item) => r.id });
    expect(out).toContain("<td><b>Green tea</b></td>");
  });

  it("keeps a hidden header readable", () => {
    const hidden: Column<Item>[] = [{ label: "Delete", hideLabel: true, text: () => "" }];
    const out = html({ label: "x", columns: hidden, rows, key: (r: Item) => r.id });
    expect(out).toContain('<th scope="col"><span class="visually-hidden">Delete</span></th>');
  });
});
