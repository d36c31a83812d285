// Numbers people type (options, environment variables) read strictly.

/** A plain decimal (`signed`: a leading minus too), else NaN: Number() would also take '1e1', '0x10', '.5' and ' 5'. */
export function decimal(raw: unknown, signed = false): number {
  return typeof raw === 'string' && (signed ? /^-?\d+(\.\d+)?$/ : /^\d+(\.\d+)?$/).test(raw) ? Number(raw) : NaN;
}
