/**
 * @module
 * Content-addressed task-definition registration. For a spec with hash H in family F:
 *
 * 1. single flight: concurrent callers in this process for (client, F, H) share one promise, so a
 *    burst of dispatches of one deployment registers at most one revision;
 * 2. DescribeTaskDefinition(F) — the latest ACTIVE revision — is reused when it carries the tag
 *    `pushpool.io/spec-hash = H`;
 * 3. otherwise RegisterTaskDefinition with that tag, retrying throttling and "Too many concurrent
 *    attempts to create a new revision" with exponential backoff and jitter;
 * 4. if other processes raced us, the lowest ACTIVE revision carrying H directly below ours is
 *    preferred, so racers converge on one revision (the redundant ones are identical and harmless).
 */
import type { Tag, TaskDefinition } from "@aws-sdk/client-ecs";
import type { Logger } from "../../ports/logger.ts";
import { InvalidJobConfigurationError, TransientError } from "../../shared/errors.ts";
import {
  awsErrorShape,
  awsReason,
  classifyAwsError,
  isTransientAwsError,
  THROTTLE_RETRY_SECONDS,
} from "./classify.ts";
import type { PlainObject } from "./config.ts";
import type { EcsApi, TaskDefinitionSpec } from "./port.ts";
import { type AddressedSpec, SPEC_HASH_TAG } from "./spec.ts";

export interface RegistryOptions {
  logger: Logger;
  sleep(ms: number): Promise<void>;
  /** RegisterTaskDefinition attempts before giving up with a TransientError (default 4). */
  registerAttempts?: number;
  /** First backoff delay in ms (default 1000), doubled per attempt up to `maxDelayMs` (default 10000). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  random?(): number;
  /** How long a resolved revision is reused without DescribeTaskDefinition (default 60 s). */
  resolvedTtlMs?: number;
  /** Upper bound of the random pause before registering, then looking again (default 400 ms). */
  registerJitterMs?: number;
  now?(): number;
}

/** Errors that mean the spec itself is invalid (it can never register). */
const INVALID_REQUEST = new Set(["ClientException", "InvalidParameterException"]);

/** How far below a fresh revision to look for an equal one registered by a racing process. */
const RACE_LOOKBACK = 20;

export class TaskDefinitionRegistry {
  private readonly inflight = new WeakMap<EcsApi, Map<string, Promise<TaskDefinition>>>();
  /** Revisions this warm process resolved recently: a burst pays one DescribeTaskDefinition. */
  private readonly resolved = new WeakMap<EcsApi, Map<string, { at: number; td: TaskDefinition }>>();

  constructor(private readonly options: RegistryOptions) {}

  /** The ACTIVE task definition for a spec: an existing revision with its hash, or a new one. */
  resolve(api: EcsApi, addressed: AddressedSpec): Promise<TaskDefinition> {
    let perApi = this.inflight.get(api);
    if (!perApi) {
      perApi = new Map();
      this.inflight.set(api, perApi);
    }
    const key = `${addressed.family}#${addressed.hash}`;
    const now = (this.options.now ?? Date.now)();
    let done = this.resolved.get(api);
    if (!done) {
      done = new Map();
      this.resolved.set(api, done);
    }
    const recent = done.get(key);
    if (recent && now - recent.at < (this.options.resolvedTtlMs ?? 60_000)) return Promise.resolve(recent.td);
    const existing = perApi.get(key);
    if (existing) return existing;
    const map = perApi;
    const cache = done;
    const promise = this.lookupOrRegister(api, addressed).finally(() => {
      if (map.get(key) === promise) map.delete(key);
    });
    promise.then((td) => cache.set(key, { at: now, td })).catch(() => undefined);
    map.set(key, promise);
    return promise;
  }

  private async lookupOrRegister(api: EcsApi, a: AddressedSpec): Promise<TaskDefinition> {
    const latest = await this.describe(api, a.family);
    if (latest && latest.taskDefinition.status === "ACTIVE" && hashOf(latest.tags) === a.hash) {
      this.options.logger.debug("reusing ECS task definition", {
        taskDefinitionArn: latest.taskDefinition.taskDefinitionArn,
        hash: a.hash,
      });
      return latest.taskDefinition;
    }
    // Cold instances of one burst all miss together: pause a random moment and look once more,
    // so usually only the first of them registers (the rest find its revision).
    const jitter = this.options.registerJitterMs ?? 400;
    if (jitter > 0) {
      await this.options.sleep((this.options.random ?? Math.random)() * jitter);
      const again = await this.describe(api, a.family);
      if (again && again.taskDefinition.status === "ACTIVE" && hashOf(again.tags) === a.hash)
        return again.taskDefinition;
    }
    const registered = await this.register(api, a);
    return await this.preferEarlier(api, registered, a);
  }

  private async describe(api: EcsApi, taskDefinition: string) {
    try {
      return await api.describeTaskDefinition(taskDefinition);
    } catch (error) {
      throw classifyAwsError(error, `Failed to describe ECS task definition '${taskDefinition}'`);
    }
  }

  private async register(api: EcsApi, a: AddressedSpec): Promise<TaskDefinition> {
    const attempts = this.options.registerAttempts ?? 4;
    const initial = this.options.initialDelayMs ?? 1000;
    const max = this.options.maxDelayMs ?? 10_000;
    const random = this.options.random ?? Math.random;
    const ownTags = Array.isArray(a.spec.tags) ? (a.spec.tags as PlainObject[]) : [];
    const spec = {
      ...a.spec,
      tags: [...ownTags.filter((t) => t.key !== SPEC_HASH_TAG), { key: SPEC_HASH_TAG, value: a.hash }],
    } as unknown as TaskDefinitionSpec;
    for (let attempt = 1; ; attempt++) {
      try {
        const td = await api.registerTaskDefinition(spec);
        this.options.logger.info("registered ECS task definition", {
          taskDefinitionArn: td.taskDefinitionArn,
          hash: a.hash,
        });
        return td;
      } catch (error) {
        const what = `Failed to register ECS task definition '${a.family}'`;
        if (!isTransientAwsError(error)) {
          if (INVALID_REQUEST.has(awsErrorShape(error).name))
            throw new InvalidJobConfigurationError(`${what}: ${awsReason(error)}`, { cause: error });
          throw classifyAwsError(error, what);
        }
        if (attempt >= attempts)
          throw new TransientError(`${what}: ${awsReason(error)}`, THROTTLE_RETRY_SECONDS, { cause: error });
        const delay = Math.min(max, initial * 2 ** (attempt - 1)) + random() * initial;
        this.options.logger.warn("retrying ECS task definition registration", {
          attempt,
          delayMs: Math.round(delay),
          reason: awsReason(error),
        });
        await this.options.sleep(delay);
      }
    }
  }

  private async preferEarlier(api: EcsApi, registered: TaskDefinition, a: AddressedSpec) {
    const revision = registered.revision ?? 0;
    let best = registered;
    for (let r = revision - 1; r >= 1 && r >= revision - RACE_LOOKBACK; r--) {
      let found: Awaited<ReturnType<EcsApi["describeTaskDefinition"]>>;
      try {
        found = await api.describeTaskDefinition(`${a.family}:${r}`);
      } catch {
        break;
      }
      if (!found || hashOf(found.tags) !== a.hash) break;
      if (found.taskDefinition.status === "ACTIVE") best = found.taskDefinition;
    }
    if (best !== registered)
      this.options.logger.info("a concurrent registration won; using the earlier equal revision", {
        taskDefinitionArn: best.taskDefinitionArn,
        registered: registered.taskDefinitionArn,
      });
    return best;
  }
}

/** The spec-hash tag's value, if any. */
export function hashOf(tags: Tag[] | undefined): string | undefined {
  return tags?.find((t) => t.key === SPEC_HASH_TAG)?.value;
}
