// Each message key is defined once per language: a key repeated in two message files would
// silently take the later file's text (one screen's words on another screen).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = join(__dirname, "..", "i18n");

function keysByFile(lang: "en" | "zh"): Map<string, string[]> {
  const files = readdirSync(dir).filter((f) => f === `${lang}.ts` || f.endsWith(`.${lang}.ts`));
  const where = new Map<string, string[]>();
  for (const f of files) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/^\s*"([^"]+)":/gm)) {
      where.set(m[1], [...(where.get(m[1]) ?? []), f]);
    }
  }
  return where;
}

describe("message keys", () => {
  for (const lang of ["en", "zh"] as const) {
    it(`are defined once in ${lang}`, () => {
      const repeated = [...keysByFile(lang)].filter(([, files]) => files.length > 1);
      expect(repeated).toEqual([]);
    });
  }
});
