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
const NOTHING_DUE = new RegExp(`^\\{"io":null,"persisted":${INDEX}\\}$`);
// A checkpoint request: its head and tail are read here; its updates (the bulk) by JSON.parse.
const CHECKPOINT_HEAD = new RegExp(`^\\{"io":"checkpoint","arn":${PLAIN_STRING},"token":${PLAIN_STRING},"updates":(?=\\[)`);
const HELD_FROM = '],"held":['; // the updates' closing bracket, then the held payloads
const HELD_PAIR = new RegExp(`\\[${INDEX},${INDEX}\\](,?)`, 'y');
const CHECKPOINT_END = new RegExp(`\\],"persisted":${INDEX}\\}`, 'y');
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
    case 0x69: // {"io":
      if ((m = NOTHING_DUE.exec(text)) !== null) return { io: null, persisted: Number(m[1]) };
      return readCheckpoint(text) ?? JSON.parse(text);
    case 0x6f: // {"output":
      // A fresh object each time: the output is handed to the caller, who may change it.
      if (text === SUCCEEDED_HELD) return { output: { Status: 'SUCCEEDED', Result: null }, result_held: true };
      break;
  }
  return JSON.parse(text);
}

/** A checkpoint request as JSON.parse would give it, or undefined if it is not spelled as expected. */
function readCheckpoint(text) {
  const head = CHECKPOINT_HEAD.exec(text);
  if (head === null) return undefined;
  // Nothing after the updates contains this, so its last occurrence ends them.
  const updatesEnd = text.lastIndexOf(HELD_FROM);
  if (updatesEnd < head[0].length) return undefined;
  const held = [];
  let at = updatesEnd + HELD_FROM.length;
  for (let more = text.charCodeAt(at) === 0x5b; more;) {
    HELD_PAIR.lastIndex = at;
    const pair = HELD_PAIR.exec(text);
    if (pair === null) return undefined;
    held.push([Number(pair[1]), Number(pair[2])]);
    at = HELD_PAIR.lastIndex;
    more = pair[3] === ',';
  }
  CHECKPOINT_END.lastIndex = at;
  const end = CHECKPOINT_END.exec(text);
  if (end === null || CHECKPOINT_END.lastIndex !== text.length) return undefined;
  // One JSON value, or the slice holds more than the updates (a repeated key, say): then the
  // whole text is JSON.parse's to read, or to reject.
  let updates;
  try {
    updates = JSON.parse(text.slice(head[0].length, updatesEnd + 1));
  } catch {
    return undefined;
  }
  return { io: 'checkpoint', arn: head[1], token: head[2], updates, held, persisted: Number(end[1]) };
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
