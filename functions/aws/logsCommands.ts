/**
 * @module
 * The part of the CloudWatch Logs client the ECS port uses (a crashed task's log tail), loaded with
 * `await import()` when a crash needs it: named imports let esbuild bundle only these, not the
 * whole client (see ./ec2Commands.ts).
 */
export { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
