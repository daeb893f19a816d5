/**
 * Asking for a password or a secret on the terminal without showing it (echo off), so it never
 * sits on the screen, in the scroll-back or in the shell history. Only on a terminal: a script
 * gives secrets through the environment or a file instead.
 */
import { CliError } from './cloud-api.ts';

export interface HiddenInput {
  value: string;
  /** Enter was pressed. */
  done: boolean;
  /** Ctrl+C, or Ctrl+D on an empty line. */
  cancelled: boolean;
}

/** Arrow keys, Home/End and the like: terminal escape sequences that are not part of the text. */
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?/g;

/** What the typed `chunk` does to the text so far; a pure function of the keys. */
export function applyKeys(value: string, chunk: string): HiddenInput {
  let text = value;
  for (const key of chunk.replace(ESCAPE_SEQUENCE, '')) {
    if (key === '\r' || key === '\n') return { value: text, done: true, cancelled: false };
    if (key === '\u0003') return { value: '', done: false, cancelled: true };
    if (key === '\u0004') {
      if (text === '') return { value: '', done: false, cancelled: true };
      return { value: text, done: true, cancelled: false };
    }
    if (key === '\u007f' || key === '\b') text = [...text].slice(0, -1).join('');
    else if (key === '\u0015') text = '';
    else if (key >= ' ') text += key;
  }
  return { value: text, done: false, cancelled: false };
}

/** Asks `question` on stderr and reads one line from the terminal with echo off. */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new CliError(`cannot ask for ${question}: the input is not a terminal`, 2);
  // Echo off before the question shows: whatever is typed once it is there must not be echoed.
  input.setRawMode(true);
  process.stderr.write(`${question}: `);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer) => {
      const next = applyKeys(value, chunk.toString('utf8'));
      value = next.value;
      if (next.cancelled) finish(() => reject(new CliError('cancelled', 130)));
      else if (next.done) finish(() => resolve(value));
    };
    input.on('data', onData);
    input.resume();
  });
}
