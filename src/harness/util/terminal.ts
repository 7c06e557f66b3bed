/**
 * Text that came from a notebook (tracebacks, messages, printed output) is untrusted: besides colour it
 * can carry terminal control sequences that set the window title, write the clipboard (OSC 52), clear
 * the screen or move the cursor over earlier lines. The runner already reduces kernel text to plain
 * text; these are the harness's own guards wherever such text is printed or handed on.
 */

// ESC-introduced strings (OSC, DCS, SOS, PM, APC) up to BEL or ST; CSI sequences; other two-byte
// escapes; 8-bit C1 controls; every other C0 control except tab and newline; DEL.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const STRINGS = /\u001b[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)/g
// eslint-disable-next-line no-control-regex
const CSI = /\u001b\[([0-?]*)([ -/]*)([@-~])/g
// eslint-disable-next-line no-control-regex
const OTHER = /\u001b[@-Z\\-_]?|[\u0080-\u009f]|[\u0000-\u0008\u000b-\u001f\u007f]/g

/** Printable text only: every control sequence and control character removed (tab and newline kept). */
export function plainText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(STRINGS, '').replace(CSI, '').replace(OTHER, '')
}

/** For a terminal: plain colour (SGR sequences with numeric parameters) survives, nothing else does. */
export function terminalSafe(text: string): string {
  const colours: string[] = []
  const kept = text
    .replace(/\r\n/g, '\n')
    .replace(STRINGS, '')
    .replace(CSI, (whole, params: string, intermediate: string, final: string) => {
      if (final !== 'm' || intermediate || !/^[0-9;]*$/.test(params)) return ''
      colours.push(whole)
      return `\u0000${colours.length - 1}\u0000`
    })
    .replace(OTHER, (match) => (match === '\u0000' ? match : ''))
  // eslint-disable-next-line no-control-regex
  return kept.replace(/\u0000(\d+)\u0000/g, (_m, index: string) => colours[Number(index)] ?? '')
}
