// Progress for long jobs, on stderr so --json output stays clean. A live bar
// on a terminal; on pipes/CI a line every ~10% so logs stay short.

export interface Progress {
  /** Advance by `n` (default 1). */
  tick(n?: number): void;
  /** Set the absolute position (and optionally a new total). */
  set(done: number, total?: number): void;
  /** Finish with an optional closing note. */
  done(note?: string): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const r = Math.floor(s % 60);
  return `${m}:${String(r).padStart(2, '0')}`;
}

export function progress(label: string, total = 0, opts: ProgressOptions = {}): Progress {
  const out = opts.stream ?? process.stderr;
  const quiet = opts.quiet ?? process.env.TOONSCOPE_QUIET === '1';
  const tty = Boolean(out.isTTY);
  const t0 = Date.now();
  let pos = 0;
  let last = 0;
  let lastDecile = -1;
  const render = (final = false) => {
    if (quiet) return;
    const el = (Date.now() - t0) / 1000;
    const rate = pos / Math.max(el, 1e-3);
    if (tty) {
      const frac = total ? Math.min(1, pos / total) : 0;
      const width = 28;
      const bar = total ? '#'.repeat(Math.round(frac * width)).padEnd(width, '.') : '';
      const eta = total && rate > 0 ? fmtTime((total - pos) / rate) : '';
      const text = total
        ? `${label} [${bar}] ${pos}/${total} ${(frac * 100).toFixed(0)}% ${rate.toFixed(0)}/s eta ${eta}`
        : `${label} ${pos} ${rate.toFixed(0)}/s`;
      out.write(`\r${text.slice(0, (out.columns || 100) - 1)}\x1b[K${final ? '\n' : ''}`);
    } else if (total) {
      const decile = Math.floor((pos / total) * 10);
      if (decile > lastDecile || final) {
        lastDecile = decile;
        out.write(`${label}: ${pos}/${total} (${Math.min(100, Math.round((pos / total) * 100))}%) ${fmtTime(el)}\n`);
      }
    } else if (final) out.write(`${label}: ${pos} in ${fmtTime(el)}\n`);
  };
  const maybe = () => {
    const now = Date.now();
    if (now - last > 100 || !tty) {
      last = now;
      render();
    }
  };
  return {
    tick(n = 1) {
      pos += n;
      maybe();
    },
    set(d, t) {
      // A new count on the same bar (a stage of several phases, each from 0) is reported from its start again; a total
      // that only grows with the count (a frame estimate that fell short) is not a new count.
      if (d < pos) lastDecile = -1;
      pos = d;
      if (t !== undefined) total = t;
      maybe();
    },
    done(note) {
      render(true);
      if (note && !quiet) out.write(`${note}\n`);
    },
  };
}
