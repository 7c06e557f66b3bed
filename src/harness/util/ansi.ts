// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters by definition
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g

/** Kernel tracebacks come coloured; people and judges read them plain. */
export const stripAnsi = (text: string): string => text.replace(ANSI, '')
