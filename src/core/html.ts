// Text into HTML and SVG (pages, contact sheets, labels drawn by sharp).

/** Escape text for an HTML or SVG element or a quoted attribute. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
