/**
 * @module
 * Content-addressed task-definition registration. For a spec with hash H in family F:
 *
 * 1. a warm process reuses what it resolved for (client, F, H): no AWS call within `resolvedTtlMs`,
 *    then one DescribeTaskDefinition of that very revision; concurrent callers share one promise;
 * 2. DescribeTaskDefinition(F) — the latest ACTIVE revision — is reused when it carries the tag
 *    `pushpool.io/spec-hash = H`, or, with `match_latest_revision_in_family`, when its content
 *    equals the spec whoever registered it (Prefect's rule, see `sameContent`);
 * 3. otherwise the family's newest ACTIVE revisions (ListTaskDefinitions, at most
 *    {@link FAMILY_SEARCH}) are searched for the tag H — so deployments sharing a family (A, B, A…)
 *    reuse their revisions instead of registering one per alternation. What a revision's tag says
 *    never changes, so a warm process describes each revision once;
 * 4. otherwise RegisterTaskDefinition with that tag, retrying throttling and "Too many concurrent
 *    attempts to create a new revision" with exponential backoff and jitter;
 * 5. if other processes raced us, the lowest ACTIVE revision carrying H directly below ours is
 *    preferred, so racers converge on one revision (the redundant ones are identical and harmless).
 */
import type { Tag, TaskDefinition } from "@aws-sdk/client-ecs";
import type { Logger } from "../../ports/logger.ts";
import { InvalidJobConfigurationError, TransientError } from "../../shared/errors.ts";
import { retry } from "../../shared/retry.ts";
import {
  awsErrorShape,
  awsReason,
  classifyAwsError,
  isTransientAwsError,
  THROTTLE_RETRY_SECONDS,
} from "./classify.ts";
import type { EcsApi } from "./port.ts";
import { type AddressedSpec, registrationSpec, SPEC_HASH_TAG, sameContent } from "./spec.ts";

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
/** How many of a family's newest ACTIVE revisions are searched for the spec's hash. */
export const FAMILY_SEARCH = 50;
/** Revision → spec hash ("" for none) remembered per AWS port: a revision's tags are fixed. */
const MAX_REMEMBERED_HASHES = 5000;

type Described = NonNullable<Awaited<ReturnType<EcsApi["describeTaskDefinition"]>>>;

export class TaskDefinitionRegistry {
  private readonly inflight = new WeakMap<EcsApi, Map<string, Promise<TaskDefinition>>>();
  /** Revisions this warm process resolved recently: a burst pays no AWS call. */
  private readonly resolved = new WeakMap<EcsApi, Map<string, { at: number; td: TaskDefinition }>>();
  /** Revision ARN → its spec-hash tag ("" when it has none), per AWS port. */
  private readonly hashes = new WeakMap<EcsApi, Map<string, string>>();

  constructor(private readonly options: RegistryOptions) {}

  /** The ACTIVE task definition for a spec: an existing revision with its hash (or content), or a new one. */
  resolve(api: EcsApi, addressed: AddressedSpec): Promise<TaskDefinition> {
    const perApi = lazy(this.inflight, api);
    const key = `${addressed.family}#${addressed.hash}`;
    const existing = perApi.get(key);
    if (existing) return existing;
    const now = (this.options.now ?? Date.now)();
    const cache = lazy(this.resolved, api);
    const recent = cache.get(key);
    if (recent && now - recent.at < (this.options.resolvedTtlMs ?? 60_000)) return Promise.resolve(recent.td);
    const promise = (recent ? this.refresh(api, addressed, recent.td) : this.lookupOrRegister(api, addressed))
      .then((td) => {
        cache.set(key, { at: now, td });
        return td;
      })
      .finally(() => {
        if (perApi.get(key) === promise) perApi.delete(key);
      });
    perApi.set(key, promise);
    return promise;
  }

  /** A revision resolved before: still ACTIVE → reused (one call), else looked up afresh. */
  private async refresh(api: EcsApi, a: AddressedSpec, td: TaskDefinition): Promise<TaskDefinition> {
    const again = await this.describe(api, td.taskDefinitionArn ?? "");
    if (again?.taskDefinition.status === "ACTIVE") return again.taskDefinition;
    return await this.lookupOrRegister(api, a);
  }

  private async lookupOrRegister(api: EcsApi, a: AddressedSpec): Promise<TaskDefinition> {
    const latest = await this.describe(api, a.family);
    if (latest && this.fits(latest, a, true)) return this.reuse(latest.taskDefinition, a);
    // No latest revision: the family has no ACTIVE revision to search.
    const found = latest ? await this.searchFamily(api, a) : null;
    if (found) return this.reuse(found, a);
    // Cold instances of one burst all miss together: pause a random moment and look once more,
    // so usually only the first of them registers (the rest find its revision).
    const jitter = this.options.registerJitterMs ?? 400;
    if (jitter > 0) {
      await this.options.sleep((this.options.random ?? Math.random)() * jitter);
      const again = await this.describe(api, a.family);
      if (again && this.fits(again, a, true)) return this.reuse(again.taskDefinition, a);
    }
    const registered = await this.register(api, a);
    this.remember(api, registered.taskDefinitionArn, a.hash);
    return await this.preferEarlier(api, registered, a);
  }

  /** ACTIVE and tagged with the spec's hash — or, for the latest revision with `matchLatest`, equal content. */
  private fits(found: Described, a: AddressedSpec, latest: boolean): boolean {
    if (found.taskDefinition.status !== "ACTIVE") return false;
    if (hashOf(found.tags) === a.hash) return true;
    return latest && a.matchLatest === true && sameContent(a.spec, found.taskDefinition, found.tags);
  }

  private reuse(td: TaskDefinition, a: AddressedSpec): TaskDefinition {
    this.options.logger.debug("reusing ECS task definition", {
      taskDefinitionArn: td.taskDefinitionArn,
      hash: a.hash,
    });
    return td;
  }

  /** The newest ACTIVE revision of the family tagged with the spec's hash (each revision described once). */
  private async searchFamily(api: EcsApi, a: AddressedSpec): Promise<TaskDefinition | null> {
    let arns: string[];
    try {
      arns = await api.listTaskDefinitionArns(a.family, FAMILY_SEARCH);
    } catch (error) {
      // Not worth failing the run over (e.g. a role without ecs:ListTaskDefinitions): register.
      this.options.logger.warn("could not list the family's ECS task definitions; not searching it", {
        family: a.family,
        reason: awsReason(error),
      });
      return null;
    }
    const known = lazy(this.hashes, api);
    for (const arn of arns) {
      const hash = known.get(arn);
      if (hash !== undefined && hash !== a.hash) continue;
      const found = await this.describe(api, arn);
      if (found && this.fits(found, a, false)) return found.taskDefinition;
    }
    return null;
  }

  private remember(api: EcsApi, arn: string | undefined, hash: string | undefined): void {
    if (!arn) return;
    const known = lazy(this.hashes, api);
    known.set(arn, hash ?? "");
    if (known.size > MAX_REMEMBERED_HASHES) {
      const oldest = known.keys().next().value;
      if (oldest !== undefined) known.delete(oldest);
    }
  }

  private async describe(api: EcsApi, taskDefinition: string) {
    try {
      const found = await api.describeTaskDefinition(taskDefinition);
      if (found) this.remember(api, found.taskDefinition.taskDefinitionArn, hashOf(found.tags));
      return found;
    } catch (error) {
      throw classifyAwsError(error, `Failed to describe ECS task definition '${taskDefinition}'`);
    }
  }

  private async register(api: EcsApi, a: AddressedSpec): Promise<TaskDefinition> {
    const attempts = this.options.registerAttempts ?? 4;
    const initial = this.options.initialDelayMs ?? 1000;
    const max = this.options.maxDelayMs ?? 10_000;
    const random = this.options.random ?? Math.random;
    const spec = registrationSpec(a);
    const what = `Failed to register ECS task definition '${a.family}'`;
    const td = await retry(
      async () => {
        try {
          return await api.registerTaskDefinition(spec);
        } catch (error) {
          if (isTransientAwsError(error))
            throw new TransientError(`${what}: ${awsReason(error)}`, THROTTLE_RETRY_SECONDS, {
              cause: error,
            });
          if (INVALID_REQUEST.has(awsErrorShape(error).name))
            throw new InvalidJobConfigurationError(`${what}: ${awsReason(error)}`, { cause: error });
          throw classifyAwsError(error, what);
        }
      },
      {
        attempts,
        retryable: (error) => error instanceof TransientError,
        delayMs: (attempt) => Math.min(max, initial * 2 ** (attempt - 1)) + random() * initial,
        sleep: this.options.sleep,
        onRetry: (error, attempt, delayMs) =>
          this.options.logger.warn("retrying ECS task definition registration", {
            attempt,
            delayMs: Math.round(delayMs),
            reason: awsReason((error as Error).cause),
          }),
      },
    );
    this.options.logger.info("registered ECS task definition", {
      taskDefinitionArn: td.taskDefinitionArn,
      hash: a.hash,
    });
    return td;
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

function lazy<K extends object, V>(map: WeakMap<K, Map<string, V>>, key: K): Map<string, V> {
  let found = map.get(key);
  if (!found) {
    found = new Map();
    map.set(key, found);
  }
  return found;
}

/** The spec-hash tag's value, if any. */
export function hashOf(tags: Tag[] | undefined): string | undefined {
  return tags?.find((t) => t.key === SPEC_HASH_TAG)?.value;
}
