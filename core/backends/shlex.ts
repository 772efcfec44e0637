import { InvalidJobConfigurationError } from "../shared/errors.ts";

/**
 * Splits a command line the way Python's `shlex.split` does in POSIX mode (how Prefect's process
 * worker turns `command` into argv): whitespace separates words; single quotes keep everything
 * literal; double quotes allow `\"`, `\\`, `\$`, `` \` `` escapes; a backslash outside quotes
 * escapes the next character; `#` is not a comment (shlex.split disables comments).
 */
export function shlexSplit(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const ch = command[i] as string;
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new InvalidJobConfigurationError("command has an unclosed single quote");
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= command.length)
          throw new InvalidJobConfigurationError("command has an unclosed double quote");
        const c = command[i] as string;
        if (c === '"') break;
        if (c === "\\" && i + 1 < command.length && '"\\$`'.includes(command[i + 1] as string)) {
          word += command[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      i++;
    } else if (ch === "\\") {
      if (i + 1 >= command.length)
        throw new InvalidJobConfigurationError("command ends with an escape character");
      word += command[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
