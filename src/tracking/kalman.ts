// Constant-velocity Kalman filter for a box, as in SORT/ByteTrack but with the
// state split into four independent (position, velocity) pairs: centre x,
// centre y, width, height. Noise scales with the box height so the filter
// behaves the same for small and large characters. `dt` is in frames, so
// sparsely sampled frames (gaps) predict further and grow more uncertain.
import type { Box } from '../core/types.js';

/** Noise factors relative to the box height (ByteTrack's values). */
const STD_POS = 1 / 20;
const STD_VEL = 1 / 160;

export class BoxFilter {
  /** Per axis [pos, vel]. */
  private x = new Float64Array(8);
  /** Per axis 2x2 covariance [p00, p01, p11]. */
  private p = new Float64Array(12);

  constructor(box: Box) {
    const z = toState(box);
    const h = Math.max(1, box[3]);
    for (let a = 0; a < 4; a++) {
      this.x[a * 2] = z[a];
      this.x[a * 2 + 1] = 0;
      const sp = 2 * STD_POS * h, sv = 10 * STD_VEL * h;
      this.p[a * 3] = sp * sp;
      this.p[a * 3 + 1] = 0;
      this.p[a * 3 + 2] = sv * sv;
    }
  }

  /** Advance by `dt` frames. */
  predict(dt = 1): void {
    const h = Math.max(1, this.x[6]);
    const qp = (STD_POS * h) ** 2 * dt, qv = (STD_VEL * h) ** 2 * dt;
    for (let a = 0; a < 4; a++) {
      const i = a * 2, j = a * 3;
      this.x[i] += dt * this.x[i + 1];
      const [p00, p01, p11] = [this.p[j], this.p[j + 1], this.p[j + 2]];
      // P = F P F' + Q with F = [[1, dt], [0, 1]].
      this.p[j] = p00 + 2 * dt * p01 + dt * dt * p11 + qp;
      this.p[j + 1] = p01 + dt * p11;
      this.p[j + 2] = p11 + qv;
    }
    // Boxes never shrink below a pixel.
    if (this.x[4] < 1) this.x[4] = 1;
    if (this.x[6] < 1) this.x[6] = 1;
  }

  /** Correct with a measured box. */
  update(box: Box): void {
    const z = toState(box);
    const h = Math.max(1, box[3]);
    const r = (STD_POS * h) ** 2;
    for (let a = 0; a < 4; a++) {
      const i = a * 2, j = a * 3;
      const [p00, p01, p11] = [this.p[j], this.p[j + 1], this.p[j + 2]];
      const s = p00 + r;
      const k0 = p00 / s, k1 = p01 / s;
      const y = z[a] - this.x[i];
      this.x[i] += k0 * y;
      this.x[i + 1] += k1 * y;
      this.p[j] = (1 - k0) * p00;
      this.p[j + 1] = (1 - k0) * p01;
      this.p[j + 2] = p11 - k1 * p01;
    }
  }

  /** Current box estimate [x, y, w, h]. */
  box(): Box {
    const w = Math.max(1, this.x[4]), h = Math.max(1, this.x[6]);
    return [this.x[0] - w / 2, this.x[2] - h / 2, w, h];
  }

  /** Velocity of the box centre in pixels per frame. */
  velocity(): [number, number] {
    return [this.x[1], this.x[3]];
  }
}

function toState(b: Box): [number, number, number, number] {
  return [b[0] + b[2] / 2, b[1] + b[3] / 2, b[2], b[3]];
}
