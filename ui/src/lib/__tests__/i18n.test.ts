import { describe, expect, it } from "vitest";
import en from "../i18n/en";
import zh from "../i18n/zh";

describe("translations", () => {
  it("Chinese has every English key and no extra ones", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });
  it("placeholders match between languages", () => {
    const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(names(zh[key]), key).toEqual(names(en[key]));
    }
  });
  it("no string is empty", () => {
    for (const [key, value] of [...Object.entries(en), ...Object.entries(zh)]) {
      expect(value.trim(), key).not.toBe("");
    }
  });
});
