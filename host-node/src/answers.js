// The core's answers to invocation calls, read as objects.
//
// The core writes the answers of a first run's calls in a few fixed spellings
// (guest/src/invocation/api.rs: write_answer, io_done, finish, output_text, write_input). Each is
// read here with one regular expression, 3-5x faster than JSON.parse on such short texts (which
// cost about 2 us of a 21 us one-step invocation). A match is valid JSON and gives exactly what
// JSON.parse gives; any other text (another shape, a rejection, a string with escapes) goes to
// JSON.parse, so this is only a shortcut: the core's spelling can change without breaking it.

const SEQ = '(null|0|[1-9][0-9]*)'; // a sequence number or null, as JSON writes it
const INDEX = '(0|[1-9][0-9]*)';
const BOOL = '(true|false)';
const PLAIN_STRING = '"([^"\\\\\\x00-\\x1f]*)"'; // a JSON string with nothing escaped: its text is its value

const EXECUTE = new RegExp(`^\\{"kind":"execute","op":${INDEX},"attempt":${INDEX},"sync":${SEQ},"replaying":${BOOL}\\}$`);
const DONE = new RegExp(`^\\{"kind":"done","sync":${SEQ},"held":${SEQ}\\}$`);
const IO_DONE = new RegExp(`^\\{"persisted":${INDEX},"stopped":${BOOL}\\}$`);
const FINISH = new RegExp(`^\\{"sync":${SEQ},"held":${SEQ}\\}$`);
const OPENED = new RegExp(
  `^\\{"handle":${INDEX},"info":\\{"input":${PLAIN_STRING},"replaying":${BOOL},"loading":${BOOL},"stopped":${BOOL}\\}\\}$`,
);
const SUCCEEDED_HELD = '{"output":{"Status":"SUCCEEDED","Result":null},"result_held":true}';

const seq = (digits) => (digits === 'null' ? null : Number(digits));

/** The answer to a call on an open invocation (`invocation.call`), as JSON.parse would give it. */
export function readAnswer(text) {
  let m;
  switch (text.charCodeAt(2)) {
    case 0x6b: // {"kind":
      if ((m = EXECUTE.exec(text)) !== null) {
        return { kind: 'execute', op: Number(m[1]), attempt: Number(m[2]), sync: seq(m[3]), replaying: m[4] === 'true' };
      }
      if ((m = DONE.exec(text)) !== null) return { kind: 'done', sync: seq(m[1]), held: seq(m[2]) };
      break;
    case 0x70: // {"persisted":
      if ((m = IO_DONE.exec(text)) !== null) return { persisted: Number(m[1]), stopped: m[2] === 'true' };
      break;
    case 0x73: // {"sync":
      if ((m = FINISH.exec(text)) !== null) return { sync: seq(m[1]), held: seq(m[2]) };
      break;
    case 0x6f: // {"output":
      // A fresh object each time: the output is handed to the caller, who may change it.
      if (text === SUCCEEDED_HELD) return { output: { Status: 'SUCCEEDED', Result: null }, result_held: true };
      break;
  }
  return JSON.parse(text);
}

/** What `invocation.open` answers, as JSON.parse would give it. */
export function readOpened(text) {
  const m = OPENED.exec(text);
  if (m === null) return JSON.parse(text);
  return {
    handle: Number(m[1]),
    info: { input: m[2], replaying: m[3] === 'true', loading: m[4] === 'true', stopped: m[5] === 'true' },
  };
}
