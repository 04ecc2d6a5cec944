import { describe, expect, it } from "vitest";
import { MAX_STROKES, simplify, toSvg } from "../signature";

describe("signature SVG", () => {
  it("writes one path per stroke with whole numbers inside the pad", () => {
    const svg = toSvg(
      [
        [
          [10.4, 20.6],
          [30, 40],
          [700, -5],
        ],
        [[5, 5]],
      ],
      600,
      200,
    );
    expect(svg).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200"><path d="M 10 21 L 30 40 L 600 0"/><path d="M 5 5"/></svg>',
    );
  });
  it("is null when nothing was drawn", () => {
    expect(toSvg([], 600, 200)).toBeNull();
    expect(toSvg([[]], 600, 200)).toBeNull();
  });
  it("drops near-duplicate points and caps strokes", () => {
    expect(
      simplify(
        [
          [1, 1],
          [1.5, 1.2],
          [2, 2],
          [4, 4],
        ],
        600,
        200,
      ),
    ).toEqual([
      [1, 1],
      [4, 4],
    ]);
    const many = Array.from({ length: MAX_STROKES + 5 }, () => [[1, 1] as const]);
    expect((toSvg(many, 600, 200)?.match(/<path/g) ?? []).length).toBe(MAX_STROKES);
  });
});
