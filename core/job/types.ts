import type { Json } from "../prefect/types.ts";

/**
 * A rendered job configuration: the pool's `job_configuration` with every placeholder resolved,
 * after `prepare_for_flow_run`. Type-specific keys (task_definition, job_body, …) ride along.
 */
export interface JobConfiguration {
  command: string | null;
  env: Record<string, string>;
  labels: Record<string, string>;
  name: string | null;
  [key: string]: Json | undefined;
}

/**
 * A job configuration right after `fromTemplateAndValues`, before `prepareForFlowRun`: env values
 * may still be null (null removes the variable when the run is prepared).
 */
export interface TemplatedJobConfiguration {
  command: string | null;
  env: Record<string, string | null>;
  labels: Record<string, string>;
  name: string | null;
  [key: string]: Json | undefined;
}
