/**
 * @module
 * ECS infrastructure pids in Prefect's format, `<cluster>::<taskArn>` (`::` because ARNs contain
 * `:`). The cluster part is the configured cluster string when one was set (a name or an ARN),
 * else the cluster ARN RunTask returned — so the same task can be named by two pids, and matching
 * compares the task ARN.
 */

export interface EcsPid {
  cluster: string;
  taskArn: string;
}

/** `<cluster>::<taskArn>`. */
export function formatPid(cluster: string, taskArn: string): string {
  return `${cluster}::${taskArn}`;
}

/** Splits a pid at the first `::`; null when it is not an ECS pid. */
export function parsePid(pid: string): EcsPid | null {
  const at = pid.indexOf("::");
  if (at <= 0) return null;
  const cluster = pid.slice(0, at);
  const taskArn = pid.slice(at + 2);
  if (!taskArn) return null;
  return { cluster, taskArn };
}

/** The task id: the last path segment of a task ARN (`arn:…:task/<cluster>/<id>` or the old `task/<id>`). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf("/") + 1);
}

/** The cluster name of a cluster ARN (`arn:aws:ecs:<region>:<account>:cluster/<name>`), or the input. */
export function clusterNameOf(cluster: string): string {
  const at = cluster.indexOf(":cluster/");
  return at >= 0 ? cluster.slice(at + ":cluster/".length) : cluster;
}

/** The region of an ARN, or null. */
export function regionOfArn(arn: string): string | null {
  const parts = arn.split(":");
  return parts[0] === "arn" && parts[3] ? parts[3] : null;
}

/**
 * True when two pids name the same ECS task: same task ARN, and clusters that agree once ARNs are
 * reduced to names (`my-cluster::…` matches `arn:…:cluster/my-cluster::…`). Non-ECS pids compare
 * as strings.
 */
export function samePid(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = parsePid(a);
  const pb = parsePid(b);
  if (!pa || !pb) return false;
  return pa.taskArn === pb.taskArn && clusterNameOf(pa.cluster) === clusterNameOf(pb.cluster);
}
