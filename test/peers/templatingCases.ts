/**
 * The cases of the templating differential test: the contract's vectors (§3.3, §4.5) plus
 * fast-check-generated ones with a fixed seed, in the oracle's tagged encoding.
 */
import fc from "fast-check";
import type { Json, JsonObject } from "../../core/prefect/types.ts";
import { NotSet, type Template } from "../../core/template/notSet.ts";
import { PyFloat } from "../../core/template/pyFloat.ts";
import { encode } from "./pyOracle.ts";
import { exactCases } from "./templatingExactCases.ts";

const SEED = 20_260_821;
const f = (n: number) => new PyFloat(n);

// ---------------------------------------------------------------------------------------------
// Fixtures shared by generated cases
// ---------------------------------------------------------------------------------------------

const ENV = { HOME_X: "/home/x", EMPTY: "", QUOTE: 'it\'s "q"', UNI: "名前\n" };

const BLOCKS_BY_NAME: Array<[string, string, JsonObject]> = [
  ["my-type", "my-block", { a: 1, b: "hello", c: { d: [f(1), null, true] } }],
  ["secret", "s", { value: "my-private-repo.com" }],
  ["json", "j", { value: { k: [1, { z: f(1e16) }], values: 5 } }],
  ["json", "vv", { value: { values: 5, value: 6 } }],
  ["webhook", "w", { url: "https://example.com", headers: { a: "b" } }],
  ["string", "n", { value: f(0.1) }],
  ["string", "nul", { value: null }],
  ["string", "t", { value: true }],
];
const BLOCKS_BY_ID: Record<string, JsonObject> = {
  "id-1": { a: 1, b: "hello" },
  "id-2": { value: "x", more: [f(1e-5)] },
};
const VARIABLES: JsonObject = {
  v: "test_value_1",
  w: "test_value_2",
  my_var: { key: "val" },
  num: 42,
  fl: f(1),
  nul: null,
  lst: [1, "a", f(2.5)],
  b: true,
  empty: "",
  名前: "ünïcode",
};

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const spaces = fc.constantFrom("", " ", "  ", "\n", "\t \n", "\u3000", "\x1c", "\ufeff", "\u00a0");
const pathNames = fc.constantFrom(
  "x",
  "y",
  "name",
  "a",
  "a.b",
  "a.0",
  "a[0]",
  "a[-1]",
  "a.b.c",
  "a[0][1]",
  "people[0].name",
  "people.superman",
  "é",
  "名前",
  "x-y",
  "1x",
  "x-",
  "s.0",
  "s.-1",
  "s.99",
  "a.01",
  "a.1_0",
  "a.٣",
  "a.-0",
  "a..b",
  "a.",
  "e\u0301",
  "$HOME_X",
  "$$HOME_X",
  "$",
  "$$",
  "$NOPE",
  "$EMPTY",
  "$QUOTE",
  "$UNI",
  "a$b",
  "prefect.variables.v",
  "prefect.blocks.secret.s",
  "ctx.flow.name",
  "ctx.flow_run.id",
  "people",
  "n.1",
  "n.0",
);
const floats = fc.constantFrom(
  1,
  1e16,
  1e-5,
  0.1,
  -0,
  1.5,
  123.456,
  1e22,
  5e-324,
  2.5e-7,
  9999999999999998,
  1e15,
  1e-4,
  -2.75,
  Number.POSITIVE_INFINITY,
  Number.NaN,
);
const textBits = fc.constantFrom(
  "",
  "a",
  "Hello ",
  "it's",
  '"q"',
  `'"`,
  "\\",
  "\n",
  "\r\t",
  "\x00",
  "\x7f",
  "\x85",
  "\u200b",
  "😀",
  "\ue000",
  "é",
  "名前",
  "{",
  "}",
  "{ {x} }",
  "{{",
  "}}",
  "{{ a b }}",
  "$",
  "\u2028",
  "\xa0",
  " ",
  "\u0301",
  "\ud7ff",
);
const text = fc.array(textBits, { maxLength: 4 }).map((xs) => xs.join(""));
const placeholder = fc.tuple(spaces, pathNames, spaces).map(([a, n, b]) => `{{${a}${n}${b}}}`);
const templateString = fc.oneof(
  placeholder,
  fc.array(fc.oneof(text, placeholder), { minLength: 1, maxLength: 4 }).map((xs) => xs.join("")),
);
const keys = fc.constantFrom("k", "name", "é", "a b", "x.y", "$ref", "名前", "kk", "l");

const jsonValue: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3, depthIdentifier: "json" },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1000, max: 1000 }),
    floats.map((n) => f(n) as Json),
    text,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(keys, tie("v"), { maxKeys: 3 }),
  ),
})).v;

const valuesArb: fc.Arbitrary<JsonObject> = fc.record(
  {
    x: jsonValue,
    y: jsonValue,
    name: jsonValue,
    a: fc.oneof(
      jsonValue,
      fc.constant<Json>({ b: { c: "deep" }, "0": "zero" }),
      fc.constant<Json>([["p", "q"], "z", 3]),
    ),
    people: fc.constant<Json>([{ name: "Arthur" }]),
    s: fc.constantFrom<Json>("xyz", "😀b", ""),
    n: fc.constantFrom<Json>(null, 5, f(1)),
    é: text,
    名前: jsonValue,
    "x-y": text,
    "1x": fc.integer(),
    "a.b": fc.constant<Json>("dotted-key"),
  },
  { requiredKeys: [] },
);

const templateArb = (leaf: fc.Arbitrary<Template>): fc.Arbitrary<Template> =>
  fc.letrec<{ t: Template }>((tie) => ({
    t: fc.oneof(
      { maxDepth: 3, depthIdentifier: "tpl" },
      leaf,
      leaf,
      jsonValue,
      fc.array(tie("t"), { maxLength: 4 }),
      fc.dictionary(keys, tie("t"), { maxKeys: 4 }),
    ),
  })).t;

const sample = <T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] =>
  fc.sample(arb, { seed: SEED + salt, numRuns: n });

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

export interface Case {
  op: "find" | "apply" | "blocks" | "variables" | "fromTemplate" | "render";
  label: string;
  [key: string]: unknown;
}

export const cases: Case[] = [];
const add = (label: string, c: Omit<Case, "label">): void => {
  cases.push({ label, ...c } as Case);
};

// Contract §4.5 vectors: find_placeholders
for (const t of [
  "",
  "Hello {{name}}!",
  "Hello {{first_name}} {{last_name}}!",
  "Hello {{name}}! Your balance is $" + "{{balance}}.",
  "{{x}}{{x}}",
  "Hello {{    first_name }} {{ last_name }}!",
  "Hello {{prefect.blocks.document.name}}!",
  "Hello {{$MY_ENV_VAR}}!",
  "{{ prefect.blocks.only-type }}",
  "{{ x }}{{x}}",
  "{{ a b }}",
  "{{x}}}",
  "{{{x}}",
  "{ {x} }",
  "{{ 1x }}",
  "{{ x- }}",
  "{{ é }}",
  "{{\n x \n}}",
  "{{\ufeffx}}",
  "{{\x1cx\x1f}}",
  "{{ e\u0301 }}",
])
  add(`find ${JSON.stringify(t)}`, { op: "find", template: t });
add("find dict", { op: "find", template: { greeting: "Hello {{name}}!", message: "{{greeting}}" } });
add("find nested", { op: "find", template: { a: { b: ["{{ x }}", 1, f(2), true, null, { c: "{{y}}" }] } } });

// Contract §4.5 vectors: apply_values
const person = { name: "Arthur" };
const people = { superman: { first_name: "Superman", age: 30 } };
const apply = (label: string, template: Template, values: JsonObject, extra: Record<string, unknown> = {}) =>
  add(label, { op: "apply", template: encode(template), values: encode(values), env: ENV, ...extra });
apply("missing env", "{{ $MISSING_ENV_VAR }}", {});
apply("json string", '{"greeting": "Hello {{name}}!", "message": {"text": "{{$$}}"}}', { name: "Dan" });
apply("json string greeting", '{"greeting": "Hello {{name}}!", "message": {"text": "{{$GREETING}}"}}', {
  name: "Dan",
});
apply("hello", "Hello, {{name}}!", { name: "Alice" });
apply(
  "int kept",
  { name: "{{first_name}} {{last_name}}", age: "{{age}}" },
  { first_name: "Alice", last_name: "Smith", age: 30 },
);
apply("missing dropped", { last_name: "{{last_name}}", age: "{{age}}" }, { age: 30 });
apply("null kept", { last_name: null, age: "{{age}}" }, { age: 30 });
apply("NotSet dropped", { name: NotSet, age: "{{age}}" }, { age: 30 });
apply("NotSet kept", { name: NotSet, age: "{{age}}" }, { age: 30 }, { removeNotset: false });
apply("embedded kept", { name: "Bob {{last_name}}", age: "{{age}}" }, { age: 30 }, { removeNotset: false });
apply(
  "nested NotSet kept",
  [{ top_key: { name: NotSet, age: "{{age}}" } }],
  { age: 30 },
  { removeNotset: false },
);
apply("list item-wise", ["Hello, {{first_name}} {{last_name}}!", { name: "{{first_name}} {{last_name}}" }], {
  first_name: "Alice",
  last_name: "Smith",
});
for (const t of [123, f(3.14), true, null]) apply(`scalar ${JSON.stringify(encode(t))}`, t, {});
apply("block untouched", "Hello {{prefect.blocks.document.name}}!", { name: "Alice" });
apply("dotted", "Hello {{ person.name }}!", { person });
apply("index", "Hello {{ people[0].name }}!", { people: [person] });
apply("whole dict", { k: "{{ people.superman }}" }, { people });
apply("whole list item", "{{ people[0] }}", { people: [people.superman] });
for (const t of [
  "{{ ctx.flow.name }}",
  "job-{{ ctx.flow.name }}/{{ ctx.flow_run.name }}",
  "{{ ctx.flow.name }}-{{ version }}",
])
  apply(`skip ${t}`, t, { version: f(1) }, { skipPrefixes: ["ctx."] });
apply(
  "skip dict",
  { name: "{{ ctx.flow.name }}", image: "{{ build.image }}", l: ["{{ ctx.x }}", { y: "{{ build.image }}" }] },
  { build: { image: "img:1" } },
  { skipPrefixes: ["ctx."] },
);
for (const [label, x] of [
  ["None", null],
  ["True", true],
  ["1.0", f(1)],
  ["dict", { k: "v" }],
  ["list", [1, "a"]],
] as Array<[string, Json]>) {
  apply(`whole ${label}`, "{{x}}", { x });
  apply(`embedded ${label}`, "a{{x}}", { x });
}
apply("missing whole", "{{x}}", {});
apply("missing embedded", "a{{x}}b", {});
apply("empty string", "{{x}}", { x: "" });
apply("two spellings", "{{ x }}{{x}}", { x: "v" });
for (const t of [
  "{{ a b }}",
  "{{x}}}",
  "{{{x}}",
  "{ {x} }",
  "{{ 1x }}",
  "{{ x- }}",
  "{{ $HOME_X }}",
  "{{$HOME_X}}",
  "{{ $$HOME_X }}",
  "{{ $ }}",
  "{{ $$ }}",
  "a-{{ $NOPE }}-b",
])
  apply(`misc ${t}`, t, { x: "X", "1x": 1, "x-": 2 });
apply("env kept", { a: "{{ $NOPE }}", b: "a{{ $NOPE }}" }, {}, { removeNotset: false });
apply("variables untouched", "{{ prefect.variables.v }}", { v: 1 });
apply("variable + y", "x-{{ prefect.variables.v }}-{{ y }}", { y: 2 });
apply("a.0", "{{ a.0 }}", { a: ["z"] });
apply("a[-1]", "{{ a[-1] }}", { a: ["y", "z"] });
apply("a[0][1]", "{{ a[0][1] }}", { a: [[0, "q"]] });
apply("a.b zero", "{{ a.b }}", { a: { b: 0 } });
apply("a.b literal", "{{ a.b }}", { "a.b": 5 });
apply("a.1 str key", "{{ a.1 }}", { a: { "1": "s" } });
apply("unicode", "{{ é }}", { é: "u" });
apply("newline", "{{\n x\n }}", { x: "nl" });
apply("mixed", { k: "{{x}}", l: ["{{x}}", "{{y}}", "c{{y}}"], m: null, n: 5, o: true }, { x: "v" });
apply("list keep", { k: "{{x}}", l: ["{{x}}", "a"] }, {}, { removeNotset: false });
apply("empty dict kept", { a: { b: "{{ m }}" } }, {});
apply("empty list", ["{{ m }}"], {});

// Generated apply_values cases
sample(
  fc.tuple(
    templateArb(templateString),
    valuesArb,
    fc.boolean(),
    fc.option(fc.constantFrom(["ctx."], ["$", "a."], [])),
  ),
  160,
  1,
).forEach(([template, values, removeNotset, skip], i) => {
  apply(`gen apply #${i}`, template, values, { removeNotset, ...(skip ? { skipPrefixes: skip } : {}) });
});
sample(fc.tuple(templateArb(fc.constant<Template>(NotSet)), valuesArb, fc.boolean()), 20, 2).forEach(
  ([template, values, removeNotset], i) => {
    apply(`gen apply NotSet #${i}`, template, values, { removeNotset });
  },
);
sample(templateArb(templateString), 60, 3).forEach((template, i) => {
  add(`gen find #${i}`, { op: "find", template: encode(template) });
});

// Blocks (§4.5) + generated
const blockFixture = {
  blocksById: encode(BLOCKS_BY_ID),
  blocksByName: encode(BLOCKS_BY_NAME as unknown as Json),
};
const blocks = (label: string, template: Template) =>
  add(label, { op: "blocks", template: encode(template), ...blockFixture });
blocks("ref", { key: { $ref: { block_document_id: "id-1" } } });
blocks("ref nested + list", {
  a: { b: { $ref: { block_document_id: "id-1" }, sib: 1 } },
  l: [{ $ref: { block_document_id: "id-2" } }],
});
blocks("two refs one read", {
  a: { $ref: { block_document_id: "id-1" } },
  b: { $ref: { block_document_id: "id-1" } },
});
blocks("whole", "{{ prefect.blocks.my-type.my-block }}");
blocks("full+inline+nested", {
  full: "{{ prefect.blocks.my-type.my-block }}",
  inline: "prefix-{{ prefect.blocks.my-type.my-block.b }}-suffix",
  nested: { x: "{{ prefect.blocks.my-type.my-block.a }}" },
});
blocks("secret value", "{{ prefect.blocks.secret.s.value }}/my-image-name");
blocks("standard kept", "{{ standard_placeholder }}/{{ prefect.blocks.my-type.my-block.b }}");
blocks("inline dict", "{{ prefect.blocks.my-type.my-block }} extra text");
blocks("standard only", { key: "{{ standard_placeholder }}" });
blocks("webhook url", "{{ prefect.blocks.webhook.w.url }}");
blocks("missing by name", "{{ prefect.blocks.my-type.gone }}");
blocks("missing by id", { $ref: { block_document_id: "id-404" } });
blocks("only type", "{{ prefect.blocks.only-type }}");
blocks("bad keypath", "x-{{ prefect.blocks.my-type.my-block.zzz }}");
blocks("str $ref", { $ref: "id-1" });
blocks("null $ref", { $ref: null });
blocks("empty id", { $ref: { block_document_id: "" }, k: "{{ prefect.blocks.secret.s }}" });
blocks("slug form kept", { $ref: { block_document_slug: "my-type/my-block" } });
blocks("values key", [
  "{{ prefect.blocks.json.vv.values }}",
  "{{ prefect.blocks.json.vv.value }}",
  "{{ prefect.blocks.json.vv.value.value }}",
]);
blocks("inline list", "a{{ prefect.blocks.json.j.k }}");
blocks(
  "inline scalars",
  "{{ prefect.blocks.string.n }}|{{ prefect.blocks.string.nul }}|{{ prefect.blocks.string.t }}",
);
blocks("double prefix", "{{ prefect.blocks.my-type.prefect.blocks.my-block }}");
const blockNames = fc.constantFrom(
  "my-type.my-block",
  "my-type.my-block.a",
  "my-type.my-block.c.d[0]",
  "my-type.my-block.c.d.-1",
  "secret.s",
  "secret.s.value",
  "json.j",
  "json.j.k[1].z",
  "json.j.value.k",
  "json.j.values",
  "json.vv.values",
  "webhook.w.headers.a",
  "string.n",
  "string.nul",
  "string.t",
  "my-type.gone",
  "nope",
  "webhook.w.nope",
);
const blockString = fc.oneof(
  fc.tuple(spaces, blockNames, spaces).map(([a, n, b]) => `{{${a}prefect.blocks.${n}${b}}}`),
  fc
    .tuple(text, blockNames, fc.constantFrom("", "{{ std }}", "{{ $HOME_X }}"), text)
    .map(([a, n, s, b]) => `${a}{{ prefect.blocks.${n} }}${s}${b}`),
  fc.constantFrom<Template>(
    { $ref: { block_document_id: "id-1" } },
    { $ref: { block_document_id: "id-2" }, x: 1 },
    { $ref: {} },
    "{{ std }}",
  ),
);
sample(templateArb(blockString), 60, 4).forEach((t, i) => {
  blocks(`gen blocks #${i}`, t);
});

// Variables (§4.5) + generated
const variables = (label: string, template: Template) =>
  add(label, { op: "variables", template: encode(template), variables: encode(VARIABLES) });
variables("embedded", "x {{ prefect.variables.v }} y");
variables("two", "{{ prefect.variables.v }} - {{ prefect.variables.w }}");
variables("forms", {
  a: "{{ prefect.variables.v }}",
  n: { m: "{{ prefect.variables.w }}" },
  l: ["value1", "{{ prefect.variables.v }}", 42],
});
variables("int", 42);
variables("others untouched", ["{{ x }}", "{{ prefect.blocks.a.b }}", "{{ $HOME_X }}"]);
variables("missing whole", "{{ prefect.variables.gone }}");
variables("two missing", "{{ prefect.variables.gone }} - {{ prefect.variables.gone2 }}");
variables("mixed reads", {
  full: "{{ prefect.variables.my_var }}",
  inline: "prefix-{{ prefect.variables.my_var }}-suffix",
  missing_full: "{{ prefect.variables.gone }}",
  missing_inline: "x{{ prefect.variables.gone }}y",
  nested: { repeat: "{{ prefect.variables.my_var }}", other: "{{ prefect.variables.gone }}" },
});
const variableNames = fc.constantFrom(
  "v",
  "w",
  "my_var",
  "num",
  "fl",
  "nul",
  "lst",
  "b",
  "empty",
  "名前",
  "gone",
);
const variableString = fc.oneof(
  fc.tuple(spaces, variableNames, spaces).map(([a, n, b]) => `{{${a}prefect.variables.${n}${b}}}`),
  fc
    .tuple(text, variableNames, fc.constantFrom("", "{{ std }}", "{{ prefect.variables.v }}"), text)
    .map(([a, n, s, b]) => `${a}{{ prefect.variables.${n} }}${s}${b}`),
);
sample(templateArb(variableString), 40, 5).forEach((t, i) => {
  variables(`gen variables #${i}`, t);
});

// from_template_and_values: §3.3 tested behaviours + generated
const fromTemplate = (label: string, baseJobTemplate: JsonObject, values: JsonObject) =>
  add(label, {
    op: "fromTemplate",
    baseJobTemplate: encode(baseJobTemplate),
    values: encode(values),
    env: ENV,
    ...blockFixture,
    variables: encode(VARIABLES),
  });
const baseTemplate = (jobConfiguration: JsonObject, properties: JsonObject): JsonObject => ({
  job_configuration: jobConfiguration,
  variables: { type: "object", properties },
});
const std = { command: "{{ command }}", env: "{{ env }}", labels: "{{ labels }}", name: "{{ name }}" };
const stdProps = {
  command: { type: "string" },
  env: { type: "object" },
  labels: { type: "object" },
  name: { type: "string" },
};
fromTemplate("unused variables ignored", baseTemplate(std, stdProps), { unused: 1, name: "n" });
fromTemplate(
  "command default ignored",
  baseTemplate({ env: "{{ env }}" }, { command: { default: "echo hi" } }),
  {},
);
fromTemplate("literals pass", baseTemplate({ ...std, a: 1, b: f(1.1), c: true, d: null }, stdProps), {});
fromTemplate(
  "list template",
  baseTemplate({ ...std, args: ["{{ a }}", "x-{{ a }}", "{{ b }}"] }, { ...stdProps, a: {}, b: {} }),
  { a: f(1) },
);
fromTemplate("block ref value", baseTemplate({ ...std, creds: "{{ creds }}" }, { ...stdProps, creds: {} }), {
  creds: { $ref: { block_document_id: "id-1" } },
});
fromTemplate(
  "env merged",
  baseTemplate(
    { ...std, env: { LIT: "1", SHARED: "lit", OVER: "lit" } },
    { ...stdProps, env: { default: { SHARED: "def", DEF: f(1) } } },
  ),
  { env: { OVER: "dep", NUM: 42, NUL: null } },
);
fromTemplate(
  "empty env value overrides",
  baseTemplate({ ...std, env: { A: "x" } }, { ...stdProps, env: { default: { B: "y" } } }),
  { env: { A: "", B: "" } },
);
fromTemplate(
  "env default replaces string",
  baseTemplate(std, { ...stdProps, env: { default: { D: "d" } } }),
  {},
);
fromTemplate(
  "null default skipped",
  baseTemplate(std, { ...stdProps, name: { default: null }, command: { default: "" } }),
  {},
);
fromTemplate("dotted env", baseTemplate(std, stdProps), {
  "env.FOO": "dot",
  env: { FOO: "nested", BAR: "b" },
});
fromTemplate("dotted only", baseTemplate({ ...std, cfg: "{{ cfg }}" }, { ...stdProps, cfg: {} }), {
  "cfg.a.b": 1,
  "cfg.a.c": [1],
  "cfg[x]": 2,
});
fromTemplate("dotted conflict", baseTemplate(std, stdProps), { "a.b": 1, "a.b.c": 2 });
fromTemplate("env not dict", baseTemplate({ ...std, env: { A: "1" } }, stdProps), { env: "nope" });
fromTemplate("env string", baseTemplate(std, stdProps), { env: "nope" });
fromTemplate("labels int", baseTemplate(std, stdProps), { labels: { a: 1 } });
fromTemplate("command int", baseTemplate(std, stdProps), { command: 5 });
fromTemplate("command empty", baseTemplate(std, stdProps), { command: "" });
fromTemplate("name from variable", baseTemplate(std, stdProps), {
  name: "{{ ctx.flow.name }}-x",
  labels: { "a.b": "c" },
});
fromTemplate(
  "variables + blocks",
  baseTemplate({ ...std, image: "{{ image }}", v: "{{ v }}" }, { ...stdProps, image: {}, v: {} }),
  {
    image: "{{ prefect.blocks.secret.s }}/img:{{ prefect.variables.num }}",
    v: "{{ prefect.variables.my_var }}",
  },
);
fromTemplate(
  "env placeholders",
  baseTemplate(
    { ...std, env: { H: "{{ $HOME_X }}", M: "{{ $NOPE }}", W: "{{ x }}" } },
    { ...stdProps, x: {} },
  ),
  {},
);
fromTemplate("missing keys", { job_configuration: std } as JsonObject, {});

const jobConfigArb = fc.record({
  command: fc.constantFrom<Json>("{{ command }}", "run {{ command }}", "", null),
  env: fc.constantFrom<Json>("{{ env }}", { LIT: "1", T: "{{ x }}" }, { A: "{{ $HOME_X }}" }, {}),
  labels: fc.constantFrom<Json>("{{ labels }}", { "k.l": "lit" }),
  name: fc.constantFrom<Json>("{{ name }}", "pre-{{ name }}", "{{ x }}"),
  image: fc.constantFrom<Json>(
    "{{ image }}",
    "{{ prefect.blocks.secret.s }}/{{ image }}",
    "{{ prefect.variables.v }}",
  ),
  nested: fc.constantFrom<Json>({ a: ["{{ x }}", "{{ y }}"], b: "{{ cfg }}" }, { c: { d: "{{ cfg.a }}" } }),
});
const defaultsArb = fc.record(
  {
    command: fc.constantFrom<Json>(null, "echo default", ""),
    env: fc.constantFrom<Json>(null, { D: "def", SHARED: "def" }, {}),
    labels: fc.constantFrom<Json>(null, { team: "x" }),
    name: fc.constantFrom<Json>(null, "default-name"),
    image: fc.constantFrom<Json>(null, "img:def"),
    x: jsonValue,
    cfg: fc.constantFrom<Json>({ a: 1, b: { c: 2 } }, null),
  },
  { requiredKeys: [] },
);
const jobValuesArb = fc.record(
  {
    command: fc.constantFrom<Json>("echo hi", "", null),
    env: fc.constantFrom<Json>({ SHARED: "dep", N: 1, F: f(1), B: true, Z: null, E: "" }, {}, { "a.b": "x" }),
    "env.DOT": fc.constantFrom<Json>("dotted", 7),
    "env.SHARED": fc.constant<Json>("dotted-shared"),
    labels: fc.constantFrom<Json>({ a: "b" }, {}),
    name: fc.constantFrom<Json>("job-{{ ctx.flow.name }}", "plain", ""),
    image: text,
    x: jsonValue,
    y: jsonValue,
    cfg: fc.constantFrom<Json>({ b: { d: 3 } }, "scalar"),
    "cfg.b.e": fc.constant<Json>(4),
    "cfg.a": fc.constantFrom<Json>(9, { z: 1 }),
  },
  { requiredKeys: [] },
);
sample(fc.tuple(jobConfigArb, defaultsArb, jobValuesArb), 80, 6).forEach(([jc, defaults, values], i) => {
  const properties: JsonObject = {};
  for (const k of ["command", "env", "labels", "name", "image", "x", "y", "cfg"]) {
    properties[k] = Object.hasOwn(defaults, k) ? { default: (defaults as JsonObject)[k] as Json } : {};
  }
  fromTemplate(`gen fromTemplate #${i}`, baseTemplate(jc as JsonObject, properties), values);
});

// Exactness (issue #10): big ints and integer-like keys, hand-written.
for (const c of exactCases()) cases.push(c as Case);
