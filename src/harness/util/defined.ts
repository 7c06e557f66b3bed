/**
 * The entries of an options object that are actually set. Wire protocols distinguish "absent"
 * from null/undefined, so options a user did not give must not be sent at all.
 */
export function definedOnly<T extends Record<string, unknown>>(
  options: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>
  }
}

/** Rough token count for budgets and fixture usage numbers (about four characters per token). */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)
