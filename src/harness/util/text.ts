/**
 * Text files users hand us (GOAL.md, SKILL.md): decoded once, with the problems a person can fix
 * named plainly. A byte-order mark is dropped (editors on Windows write one, and it would hide a
 * frontmatter block); binary and over-size files are refused before anything parses them.
 */

export type DecodedText =
  { ok: true; text: string; bytes: number; bom: boolean } | { ok: false; problem: string; fix: string }

const BOM = '\uFEFF'
const strict = new TextDecoder('utf-8', { fatal: true })

const kilobytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`

/** Control characters other than tab, line feed, form feed and carriage return: a sign of binary data. */
function controlCharacters(text: string): { nul: boolean; count: number } {
  let count = 0
  let nul = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 0) nul = true
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) count += 1
  }
  return { nul, count }
}

/**
 * Decode `input` (bytes from disk, or text a bundler already decoded) as UTF-8 text of at most
 * `maxBytes`. Text that was decoded elsewhere shows invalid bytes as U+FFFD.
 */
export function decodeText(input: Uint8Array | string, maxBytes: number, what = 'the file'): DecodedText {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength
  if (bytes > maxBytes) {
    return {
      ok: false,
      problem: `${what} is ${kilobytes(bytes)}, over the ${kilobytes(maxBytes)} limit`,
      fix: 'shorten it, or move long material into separate files',
    }
  }
  let text: string
  if (typeof input === 'string') text = input
  else {
    try {
      text = strict.decode(input)
    } catch {
      return binary(what, 'it is not valid UTF-8')
    }
  }
  if (typeof input === 'string' && text.includes('\uFFFD')) return binary(what, 'it is not valid UTF-8')
  const controls = controlCharacters(text)
  if (controls.nul || controls.count > Math.max(2, text.length / 100)) {
    return binary(what, 'it contains NUL or other control bytes')
  }
  const bom = text.startsWith(BOM)
  return { ok: true, text: bom ? text.slice(1) : text, bytes, bom }
}

function binary(what: string, why: string): DecodedText {
  return {
    ok: false,
    problem: `${what} is not a text file (${why})`,
    fix: 'save it as UTF-8 Markdown, or remove it',
  }
}
