import { describe, expect, it } from "vitest";
import { tabForCombo, tabsFor } from "../tabs";

describe("back office tabs", () => {
  it("shows the shop profile to owners only", () => {
    expect(tabsFor("owner")).toContain("shop");
    expect(tabsFor("manager")).not.toContain("shop");
    expect(tabsFor("manager")).toHaveLength(8);
  });
  it("picks a tab by Alt+digit among those shown", () => {
    expect(tabForCombo("Alt+9", tabsFor("owner"))).toBe("shop");
    expect(tabForCombo("Alt+8", tabsFor("manager"))).toBe("services");
    expect(tabForCombo("Alt+9", tabsFor("manager"))).toBeNull();
    expect(tabForCombo("Alt+1", tabsFor("manager"))).toBe("history");
    expect(tabForCombo("Ctrl+1", tabsFor("owner"))).toBeNull();
  });
});
