/**
 * @module
 * Explanations for infrastructure exit codes, in the message form Prefect's workers use
 * (`Flow run infrastructure exited with non-zero status code N. <explanation>`), so automations
 * that match on it keep working.
 */

const EXPLANATIONS: ReadonlyMap<number, string> = new Map([
  [-9, "The process was killed with SIGKILL (memory limit exceeded, or a manual kill)."],
  [-15, "The process was terminated with SIGTERM (shutdown or cancellation)."],
  [1, "The process exited with a general error; the flow run logs should show the exception."],
  [125, "The container failed to run (check the image, entrypoint and runtime)."],
  [126, "The command was found but is not executable (permission denied)."],
  [127, "The command was not found in the execution environment."],
  [137, "The process was killed, most likely out of memory (OOM)."],
  [143, "The container runtime sent SIGTERM (cancellation, scaling or a stopped task)."],
  [247, "The process was terminated for high memory usage."],
]);

export function explainExitCode(code: number): string {
  return EXPLANATIONS.get(code) ?? "The process exited with an unexpected status code.";
}

export function nonZeroExitMessage(code: number): string {
  return `Flow run infrastructure exited with non-zero status code ${code}. ${explainExitCode(code)}`;
}
