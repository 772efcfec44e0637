/**
 * Quiet test output (vitest setupFiles, every project): the runner's output shows tests, not logs.
 *
 * What the code under test writes to this worker's stdout and stderr (Powertools' JSON lines, the
 * local stack's logger, progress lines) is kept in a buffer instead of printed. When a test fails,
 * what the file wrote before its first test (its `beforeAll`) and what was written since the
 * previous test ended are printed under a header naming the test; when it passes, its part is
 * dropped. Output of a failing `beforeAll`/`afterAll` is printed at the end of the file. `console.*`
 * calls are vitest's
 * own business (`silent: "passed-only"` in vitest.config.ts). PUSHPOOL_TEST_OUTPUT=all prints
 * everything as it comes, as before.
 *
 * The AWS SDK's Node-version notice is turned off by its documented switch
 * (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, aws/aws-sdk-js-v3#7983).
 */
import { afterAll, beforeEach } from "vitest";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

type Write = typeof process.stdout.write;

if (process.env.PUSHPOOL_TEST_OUTPUT !== "all") {
  // The stream's own write, kept once per process: a worker that runs several files runs this again.
  const originals = globalThis as { pushpoolStderrWrite?: Write };
  originals.pushpoolStderrWrite ??= process.stderr.write.bind(process.stderr);
  const printErr = originals.pushpoolStderrWrite;
  let buffered: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      buffered.push(
        typeof chunk === "string"
          ? chunk
          : Buffer.from(chunk as Uint8Array).toString(
              typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8",
            ),
      );
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as Write;
  }
  let preamble: string[] | undefined; // what the file wrote before its first test
  const flush = (title: string) => {
    const text = [...(preamble ?? []), ...buffered].join("");
    buffered = [];
    preamble = [];
    if (text.trim() === "") return;
    printErr(`\n----- output of ${title} -----\n${text}${text.endsWith("\n") ? "" : "\n"}----- end -----\n`);
  };

  beforeEach(({ onTestFinished }) => {
    if (preamble === undefined) {
      preamble = buffered;
      buffered = [];
    }
    onTestFinished(({ task }) => {
      if (task.result?.state === "fail") flush(`failed test "${task.fullName ?? task.name}"`);
      else buffered = [];
    });
  });

  // biome-ignore lint/correctness/noEmptyPattern: vitest requires a destructuring pattern for the hook's context
  afterAll(({}, suite) => {
    const failed = (suite.result?.errors?.length ?? 0) > 0 || suite.result?.state === "fail";
    if (failed) flush(`${suite.name}, hooks`);
    else buffered = [];
  });
}
