/**
 * fast-check grammar for command strings, heavy in what decides how `shlex.split` cuts: quotes,
 * backslashes, shell-special characters it must leave alone (`$`, backtick, `#`), the four
 * whitespace characters it splits on and the unicode "spaces" it must not split on, non-BMP
 * characters and lone surrogates (JSON can carry both), empty quotes and unterminated pieces.
 */
import fc from "fast-check";

/** Characters shlex splits on. */
const SPLITTING = [" ", "\t", "\r", "\n"];
/** Whitespace to JS's `\s` or to bash, but word characters to shlex. */
const NOT_SPLITTING = [
  "\u00a0", // no-break space
  "\u2003", // em space
  "\u3000", // ideographic space
  "\u1680", // ogham space mark
  "\u2028", // line separator
  "\u0085", // next line
  "\ufeff", // BOM
  "\v",
  "\f",
  "\u001c", // file separator (str.split() splits on it)
];
const SPECIAL = ["'", '"', "\\", "$", "`", "#", "!", "*", ";", "|", "&", "(", ")", "<", ">", "~", "="];
const WORDS = ["a", "b", "echo", "-c", "--x=1", "$HOME", "$(id)", "$@", "é", "ß", "0"];
const ASTRAL = ["😀", "𝐀", "\u{10ffff}", "\u{1f468}\u200d\u{1f469}"];
const LONE_SURROGATES = ["\ud800", "\udfff", "x\udc00"];

/** Backslash pairs: escapes that shlex and bash treat differently inside and outside quotes. */
const ESCAPES = ["\\$", "\\`", '\\"', "\\'", "\\\\", "\\\n", "\\ ", "\\n", "\\#", "\\\u00a0", "\\😀"];

const atom: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("'", '"', "\\") },
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 5, arbitrary: fc.constantFrom(...SPLITTING) },
  { weight: 4, arbitrary: fc.constantFrom(...NOT_SPLITTING) },
  { weight: 5, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 4, arbitrary: fc.constantFrom(...ESCAPES) },
  { weight: 2, arbitrary: fc.constantFrom(...ASTRAL) },
  { weight: 1, arbitrary: fc.constantFrom(...LONE_SURROGATES) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 2 }) },
);

/** Text that may sit inside a quoted piece (quotes of the other kind and escapes included). */
const inner = fc.array(atom, { maxLength: 4 }).map((parts) => parts.join(""));

/**
 * Quoted pieces, mostly balanced so that many strings split successfully (an inner `"` gets an
 * escaping backslash; a trailing backslash inside still escapes the closing quote), and empty quotes.
 */
const quoted: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("''", '""') },
  { weight: 3, arbitrary: inner.map((s) => `'${s.replaceAll("'", "")}'`) },
  { weight: 3, arbitrary: inner.map((s) => `"${s.replace(/\\*"/g, (m) => (m.length % 2 ? `\\${m}` : m))}"`) },
);

/** A whole command string: atoms and quoted pieces, in any order, up to ~16 pieces. */
export const commandString: fc.Arbitrary<string> = fc
  .array(fc.oneof({ weight: 3, arbitrary: atom }, { weight: 2, arbitrary: quoted }), {
    maxLength: 16,
    size: "+1",
  })
  .map((parts) => parts.join(""));
