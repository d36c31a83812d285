// CSV cells for files people open in spreadsheets. A text cell that starts
// with = + - @ tab or CR is run as a formula by Excel, LibreOffice and Sheets
// (CSV injection): such cells get a leading single quote and double quotes,
// as OWASP recommends, so they show as text. Numbers are written as they are
// (a negative coordinate is data, not a formula); JSON exports keep the real text.

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  if (typeof v === 'string' && FORMULA.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of cells as CSV text (a final newline, no trailing blank row). */
export function csv(rows: readonly (readonly unknown[])[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
