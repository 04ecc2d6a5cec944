import { describe, expect, it } from "vitest";
import { pinProblem } from "../../users/pin";
import { formFor, problems, toProfile } from "../setup";

describe("the shop form", () => {
  it("starts with China's VAT rates and the machine's time zone", () => {
    const f = formFor(null);
    expect(f.rates.map((r) => r.percent)).toEqual(["13", "9", "6"]);
    expect(f.timeZone.length).toBeGreaterThan(0);
    expect(problems(f).name).toBe("setup.shop.nameRequired");
  });
  it("round-trips a profile", () => {
    const f = formFor(null);
    f.name = "Green Leaf";
    f.address = "12 Nanjing Road";
    f.defaultRate = 1;
    expect(problems(f)).toEqual({});
    const p = toProfile(f);
    expect(p.taxRates[1]).toEqual({ name: "Reduced", rateBp: 900 });
    expect(p.defaultTaxRate).toBe(1);
    expect(formFor(p)).toEqual(f);
  });
  it("flags a bad rate", () => {
    const f = formFor(null);
    f.rates[0].percent = "130";
    expect(problems(f).rates).toBe("setup.shop.ratesInvalid");
  });
});

describe("PINs", () => {
  it("follows the till's length policy", () => {
    expect(pinProblem("1234", "1234", 6)).toBe("users.pinInvalid");
    expect(pinProblem("123456", "123456", 6)).toBeNull();
    expect(pinProblem("123456", "123457", 6)).toBe("users.pinMismatch");
    expect(pinProblem("123456789", "123456789", 6)).toBe("users.pinInvalid");
    expect(pinProblem("1234", "1234", 4)).toBeNull();
  });
});
