/**
 * @module
 * The part of the EC2 client the ECS port uses (default-VPC and subnet discovery), loaded with
 * `await import()` when a network must be discovered. Importing the package itself that way bundles
 * all of it — 0.9 MB of EC2's ~800 commands and their schemas, parsed and compiled on the cold start
 * that first needs them; named imports let esbuild keep only these.
 */
export { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
