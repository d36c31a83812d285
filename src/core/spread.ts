/** At most `max` items spread evenly over the list, in order (all of them when there are no more than `max`). */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: Math.max(0, max) }, (_, k) => items[Math.floor(((k + 0.5) * items.length) / max)]);
}
