/**
 * @module
 * The part of the ARM template language a local Resource Manager needs for Prefect's ACI template
 * and the customised ones users write: parameters (declared, defaulted, passed), `variables`, and
 * expressions — a string `[...]` (`[[` escapes a literal `[`) holding function calls, `'strings'`,
 * numbers, `.property` and `[index]`. Known functions: `parameters`, `variables`, `resourceGroup`,
 * `subscription`, `uniqueString`, `concat`, `toLower`, `toUpper`, `string`. Anything else is
 * refused the way ARM refuses it (400, code `InvalidTemplate`), never guessed.
 */
import { createHash } from "node:crypto";

export class ArmTemplateError extends Error {
  readonly code = "InvalidTemplate";
}

export interface EvalScope {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
}

const fail = (why: string): never => {
  throw new ArmTemplateError(`Deployment template validation failed: '${why}'.`);
};

/** ARM's uniqueString: 13 deterministic lowercase characters (a stand-in hash, same properties). */
export function uniqueString(...parts: string[]): string {
  const digest = createHash("sha256").update(parts.join("-")).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return Array.from(digest.subarray(0, 13), (b) => alphabet[b % 32]).join("");
}

class Parser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly scope: EvalScope,
  ) {}

  parse(): unknown {
    const value = this.expression();
    this.space();
    if (this.i !== this.text.length) fail(`The template language expression '${this.text}' is not valid`);
    return value;
  }

  private space(): void {
    while (this.text[this.i] === " ") this.i++;
  }

  private expression(): unknown {
    this.space();
    let value = this.primary();
    for (;;) {
      if (this.text[this.i] === ".") {
        this.i++;
        const name = this.identifier();
        value = member(value, name, this.text);
      } else if (this.text[this.i] === "[") {
        this.i++;
        const index = this.expression();
        this.space();
        if (this.text[this.i++] !== "]") fail(`The template language expression '${this.text}' is not valid`);
        value = member(value, String(index), this.text);
      } else return value;
    }
  }

  private primary(): unknown {
    const ch = this.text[this.i];
    if (ch === "'") return this.stringLiteral();
    if (ch !== undefined && /[-0-9]/.test(ch)) {
      const match = /^-?\d+/.exec(this.text.slice(this.i));
      this.i += match?.[0].length ?? 1;
      return Number(match?.[0]);
    }
    const name = this.identifier();
    this.space();
    if (this.text[this.i++] !== "(") fail(`The template language expression '${this.text}' is not valid`);
    const args: unknown[] = [];
    this.space();
    if (this.text[this.i] === ")") this.i++;
    else
      for (;;) {
        args.push(this.expression());
        this.space();
        const sep = this.text[this.i++];
        if (sep === ")") break;
        if (sep !== ",") fail(`The template language expression '${this.text}' is not valid`);
      }
    return call(name, args, this.scope);
  }

  private identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i));
    if (!match) return fail(`The template language expression '${this.text}' is not valid`);
    this.i += match[0].length;
    return match[0];
  }

  private stringLiteral(): string {
    let out = "";
    this.i++;
    for (;;) {
      const ch = this.text[this.i++];
      if (ch === undefined) fail(`The template language expression '${this.text}' is not valid`);
      if (ch === "'") {
        if (this.text[this.i] !== "'") return out;
        this.i++;
      }
      out += ch;
    }
  }
}

function member(value: unknown, name: string, text: string): unknown {
  if (typeof value === "object" && value !== null && Object.hasOwn(value, name))
    return (value as Record<string, unknown>)[name];
  return fail(`The language expression property '${name}' doesn't exist, in '${text}'`);
}

function call(name: string, args: unknown[], scope: EvalScope): unknown {
  const str = (i: number) => String(args[i] ?? "");
  switch (name.toLowerCase()) {
    case "parameters":
      if (!Object.hasOwn(scope.parameters, str(0))) fail(`The template parameter '${str(0)}' is not found`);
      return scope.parameters[str(0)];
    case "variables":
      if (!Object.hasOwn(scope.variables, str(0))) fail(`The template variable '${str(0)}' is not found`);
      return scope.variables[str(0)];
    case "resourcegroup":
      return {
        id: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`,
        name: scope.resourceGroup,
        location: scope.location,
      };
    case "subscription":
      return { id: `/subscriptions/${scope.subscriptionId}`, subscriptionId: scope.subscriptionId };
    case "uniquestring":
      return uniqueString(...args.map(String));
    case "concat":
      return args.every(Array.isArray) ? args.flat() : args.map(String).join("");
    case "tolower":
      return str(0).toLowerCase();
    case "toupper":
      return str(0).toUpperCase();
    case "string":
      return typeof args[0] === "string" ? args[0] : JSON.stringify(args[0]);
    default:
      return fail(
        `The template function '${name}' is not found or is not a valid template function. Please see https://aka.ms/arm-functions for usage details`,
      );
  }
}

/** Evaluates every expression string in `value` (deeply). */
export function evaluate(value: unknown, scope: EvalScope): unknown {
  if (typeof value === "string") {
    if (value.startsWith("[[")) return value.slice(1);
    if (value.startsWith("[") && value.endsWith("]")) return new Parser(value.slice(1, -1), scope).parse();
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  return value;
}

/** The resources of a template deployed with `passed` parameters, every expression evaluated. */
export function expandTemplate(
  template: Record<string, unknown>,
  passed: Record<string, { value?: unknown }>,
  where: Omit<EvalScope, "parameters" | "variables">,
): Record<string, unknown>[] {
  if (!Array.isArray(template.resources))
    fail("The template 'resources' property is missing or not an array");
  const declared = (template.parameters ?? {}) as Record<string, { defaultValue?: unknown }>;
  const unknown = Object.keys(passed).filter((k) => !Object.hasOwn(declared, k));
  if (unknown.length > 0)
    fail(
      `The template parameters '${unknown.join(", ")}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time`,
    );
  const scope: EvalScope = { ...where, parameters: {}, variables: {} };
  for (const [name, decl] of Object.entries(declared)) {
    if (Object.hasOwn(passed, name)) scope.parameters[name] = passed[name]?.value;
    else if (decl && Object.hasOwn(decl, "defaultValue"))
      scope.parameters[name] = evaluate(decl.defaultValue, scope);
    else fail(`The value for the template parameter '${name}' is not provided`);
  }
  for (const [name, v] of Object.entries((template.variables ?? {}) as Record<string, unknown>))
    scope.variables[name] = evaluate(v, scope);
  return (template.resources as unknown[]).map((r) => evaluate(r, scope) as Record<string, unknown>);
}
