import { describe, expect, it } from "vitest";
import { bpToPercentText, checkForm, dataUrlBase64, emptyForm, formFromProduct, parseTaxPercent } from "../product";

describe("tax percent", () => {
  it("parses percentages into basis points", () => {
    expect(parseTaxPercent("13")).toBe(1300);
    expect(parseTaxPercent("13.5")).toBe(1350);
    expect(parseTaxPercent("6.25 %")).toBe(625);
    expect(parseTaxPercent("0")).toBe(0);
    expect(parseTaxPercent("100")).toBe(10000);
  });
  it("refuses anything else", () => {
    expect(parseTaxPercent("")).toBeNull();
    expect(parseTaxPercent("abc")).toBeNull();
    expect(parseTaxPercent("101")).toBeNull();
    expect(parseTaxPercent("1.255")).toBeNull();
    expect(parseTaxPercent("-1")).toBeNull();
  });
  it("round-trips through the form text", () => {
    for (const bp of [0, 600, 650, 625, 1300, 10000]) expect(parseTaxPercent(bpToPercentText(bp))).toBe(bp);
  });
});

describe("product form", () => {
  it("builds the input from a valid form", () => {
    const r = checkForm(
      { ...emptyForm(), sku: " A-1 ", name: "Tea", price: "12.50", tax: "13", barcode: "", nameZh: "茶" },
      "CNY",
    );
    expect(r.errors).toBeNull();
    expect(r.input).toEqual({
      sku: "A-1",
      barcode: null,
      name: "Tea",
      nameZh: "茶",
      priceMinor: 1250,
      taxRateBp: 1300,
      taxInclusive: true,
      serialised: false,
    });
  });
  it("reports each bad field", () => {
    const r = checkForm({ ...emptyForm(), sku: "", name: " ", price: "x", tax: "200", barcode: "12 ab" }, "CNY");
    expect(r.input).toBeNull();
    expect(Object.keys(r.errors ?? {}).sort()).toEqual(["barcode", "name", "price", "sku", "tax"]);
  });
  it("fills the form from a product", () => {
    const f = formFromProduct({
      id: 1,
      sku: "S",
      barcode: null,
      name: "N",
      nameZh: null,
      price: { minor: 1250, currency: "CNY" },
      taxRateBp: 650,
      taxInclusive: false,
      serialised: true,
      active: true,
      managedByHq: false,
    });
    expect(f.price).toBe("12.50");
    expect(f.tax).toBe("6.5");
    expect(f.barcode).toBe("");
  });
  it("strips the data URL prefix", () => {
    expect(dataUrlBase64("data:text/csv;base64,c2t1")).toBe("c2t1");
  });
});
