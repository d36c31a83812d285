// Frame rates as exact fractions: "24000/1001" stays 24000/1001, so output
// frame times computed from frame numbers never drift.

/** num / den, in lowest terms. */
export interface Ratio {
  num: number;
  den: number;
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** num/den in lowest terms. */
export function reduce(num: number, den: number): Ratio {
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/**
 * A frame rate as a fraction: "24000/1001", "60", "23.976". Decimals within
 * 0.01 of an NTSC rate (N * 1000/1001: 23.976, 29.97, 59.94, 119.88) mean that rate,
 * as video tools write them. Anything else, zero included, is undefined.
 */
export function parseFps(text: string | undefined): Ratio | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+)\s*)?$/.exec(text ?? '');
  if (!m) return undefined;
  if (m[2] !== undefined) {
    const num = Number(m[1]), den = Number(m[2]);
    return Number.isInteger(num) && num > 0 && den > 0 ? reduce(num, den) : undefined;
  }
  const x = Number(m[1]);
  if (!(x > 0)) return undefined;
  if (Number.isInteger(x)) return { num: x, den: 1 };
  const ntsc = Math.round((x * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - x) < 0.01) return reduce(ntsc * 1000, 1001);
  const places = m[1].split('.')[1].length;
  return reduce(Math.round(x * 10 ** places), 10 ** places);
}
