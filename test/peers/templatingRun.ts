/**
 * Runs one oracle case (test/peers/py/prefect_oracle.py's ops) through pushpool's templating, and
 * puts both sides' outcomes in a comparable form. Everything pushpool would read from Prefect
 * (job variables, base job templates, flow runs, block data, variables) first goes through the
 * wire — `stringifyJson`, then `parseJson` — so big ints and key order are checked end to end.
 */
import { LocalBackend } from "../../core/backends/process/index.ts";
import { fromTemplateAndValues } from "../../core/job/fromTemplate.ts";
import { renderJobConfiguration } from "../../core/job/render.ts";
import type {
  BaseJobTemplate,
  Deployment,
  Flow,
  FlowRun,
  Json,
  JsonObject,
  WorkPool,
} from "../../core/prefect/types.ts";
import { applyValues } from "../../core/template/applyValues.ts";
import { resolveBlockDocumentReferences } from "../../core/template/blocks.ts";
import { TemplateError } from "../../core/template/errors.ts";
import type { Template } from "../../core/template/notSet.ts";
import { findPlaceholders } from "../../core/template/placeholders.ts";
import { resolveVariables } from "../../core/template/variables.ts";
import { decode, encode, fakeApi, type OracleOutput, type Tagged, viaWire } from "./pyOracle.ts";

export type Outcome = { ok: Tagged } | { error: { class: string; message: string } };

export interface OracleCase {
  op: "find" | "apply" | "blocks" | "variables" | "fromTemplate" | "render";
  [key: string]: unknown;
}

/** A tagged value as pushpool reads it from Prefect. */
function fromPrefect(tagged: unknown): Template {
  return viaWire(decode(tagged as Tagged));
}

/** Our outcome for `c`; errors that are not TemplateErrors are reported as `UNEXPECTED <name>`. */
export async function ours(c: OracleCase, meta: OracleOutput["meta"]): Promise<Outcome> {
  const { api, counts } = fakeApi(c as never);
  const env = (c.env ?? {}) as Record<string, string>;
  try {
    switch (c.op) {
      case "find":
        return {
          ok: findPlaceholders(decode(c.template as Tagged))
            .map((p) => [p.fullMatch, p.name, p.type])
            .sort(byJson) as Tagged,
        };
      case "apply": {
        const opts = {
          removeNotset: c.removeNotset as boolean | undefined,
          skipPrefixes: c.skipPrefixes as string[] | undefined,
          env,
        };
        const template = fromPrefect(c.template);
        return { ok: encode(applyValues(template, fromPrefect(c.values) as JsonObject, opts)) };
      }
      case "blocks": {
        const value = await resolveBlockDocumentReferences(fromPrefect(c.template) as Json, api);
        return { ok: { value: encode(value), reads: counts.reads } };
      }
      case "variables": {
        const value = await resolveVariables(fromPrefect(c.template) as Json, api);
        return { ok: { value: encode(value), reads: counts.reads } };
      }
      case "fromTemplate": {
        const base = fromPrefect(c.baseJobTemplate) as BaseJobTemplate;
        const values = fromPrefect(c.values) as JsonObject;
        return { ok: encode((await fromTemplateAndValues(base, values, { api, env })) as Template) };
      }
      case "render": {
        const pool = fromPrefect(c.pool) as unknown as WorkPool;
        const config = await renderJobConfiguration({
          pool,
          deployment: c.deployment ? (fromPrefect(c.deployment) as unknown as Deployment) : null,
          flow: fromPrefect(c.flow) as unknown as Flow,
          flowRun: fromPrefect(c.flowRun) as unknown as FlowRun,
          api,
          env,
          baseEnv: meta.baseEnv,
          worker: { name: c.workerName as string, id: (c.workerId as string | undefined) ?? null },
          prefectVersion: meta.version,
          // The process worker's own preparation step; the other types have none.
          backend: pool.type === "process" ? new LocalBackend({ pythonExecutable: meta.python }) : null,
        });
        return { ok: encode(config as unknown as Template) };
      }
    }
  } catch (error) {
    if (error instanceof TemplateError)
      return { error: { class: error.pythonClass, message: error.message } };
    return {
      error: { class: `UNEXPECTED ${(error as Error).name}`, message: String((error as Error).message) },
    };
  }
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The part of an outcome that must be identical: find results as sets (Python sorts by code
 * point, JS by UTF-16 unit), pydantic `ValidationError`s by class only (the text is pydantic's).
 * Dicts with an integer-like key are `$dict` entry lists in the tagged form, so their key order
 * is compared too.
 */
export function comparable(c: OracleCase, outcome: Outcome): unknown {
  if (c.op === "find" && "ok" in outcome && Array.isArray(outcome.ok))
    return { ok: [...outcome.ok].sort(byJson) };
  if ("error" in outcome && outcome.error.class === "ValidationError")
    return { error: { class: "ValidationError" } };
  return outcome;
}
