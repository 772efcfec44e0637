import { InvalidJobConfigurationError } from "../shared/errors.ts";

/** shlex's whitespace: exactly these four (no-break space, \v, \f and other unicode spaces are word characters). */
const WHITESPACE = " \t\r\n";

/**
 * Splits a command line exactly as Python's `shlex.split(s)` does (POSIX mode, comments off), which
 * is how Prefect's workers turn a string `command` into argv:
 * - only space, tab, CR and LF separate words;
 * - outside quotes a backslash takes the next character literally, whatever it is (a newline too);
 * - single quotes keep everything literal;
 * - inside double quotes a backslash escapes only `"` and `\`; before any other character (`$`,
 *   backtick, `n`…) both the backslash and the character are kept;
 * - quotes join the surrounding text into one word, and `''` / `""` make an empty word;
 * - `#` is an ordinary character.
 *
 * Malformed input throws {@link InvalidJobConfigurationError} carrying Python's own message:
 * "No closing quotation" (EOF inside quotes) or "No escaped character" (EOF after a backslash,
 * inside double quotes too).
 */
export function shlexSplit(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const ch = command[i] as string;
    if (WHITESPACE.includes(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) fail("No closing quotation");
      word += command.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= command.length) fail("No closing quotation");
        const c = command[i] as string;
        if (c === '"') break;
        if (c === "\\") {
          if (i + 1 >= command.length) fail("No escaped character");
          const next = command[i + 1] as string;
          word += next === '"' || next === "\\" ? next : c + next;
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      i++;
    } else if (ch === "\\") {
      if (i + 1 >= command.length) fail("No escaped character");
      word += command[i + 1];
      i += 2;
    } else {
      word += ch;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Python's own message is kept so users recognise it; the command itself is not echoed (it may hold secrets). */
function fail(pythonMessage: string): never {
  throw new InvalidJobConfigurationError(
    `command cannot be split into arguments as Python's shlex.split does: ValueError: ${pythonMessage}`,
  );
}
