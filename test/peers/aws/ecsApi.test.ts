/**
 * The SDK implementation of the ECS backend's port against moto: each method, the factory's
 * credential mapping and its cache.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { beforeAll, describe, expect, it } from "vitest";
import { clientSettings, ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { type AwsPeers, REGION, setupAwsPeers } from "./awsPeers.ts";

let peers: AwsPeers;
beforeAll(async () => {
  peers = await setupAwsPeers("api");
});

describe("SdkEcsApi against moto", () => {
  it("registers, describes (with tags), runs, describes and stops a task", async () => {
    const api = ecsApiFactory()({});
    expect(api.region).toBe(REGION);
    expect(await api.describeTaskDefinition(`${peers.prefix}-missing:1`)).toBeNull();
    const family = `${peers.prefix}-family`;
    const def = await api.registerTaskDefinition({
      family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "prefect", image: "busybox", memory: 512 }],
      tags: [{ key: "pushpool", value: "yes" }],
    });
    const described = await api.describeTaskDefinition(def.taskDefinitionArn as string);
    expect(described?.taskDefinition.family).toBe(family);
    expect(described?.tags).toContainEqual({ key: "pushpool", value: "yes" });

    const run = await api.runTask({
      cluster: peers.cluster,
      taskDefinition: def.taskDefinitionArn,
      launchType: "FARGATE",
      startedBy: "pushpool/test",
      tags: [{ key: "k", value: "v" }],
      networkConfiguration: {
        awsvpcConfiguration: { subnets: peers.subnets.slice(0, 1), securityGroups: [peers.securityGroup] },
      },
    });
    const arn = run.tasks?.[0]?.taskArn as string;
    expect(arn).toMatch(/^arn:aws:ecs:/);
    const seen = await api.describeTasks(peers.cluster, [arn]);
    expect(seen.tasks?.[0]?.startedBy).toBe("pushpool/test");
    expect(seen.tasks?.[0]?.tags).toContainEqual({ key: "k", value: "v" });
    await api.stopTask(peers.cluster, arn, "test stop");
    const stopped = await api.describeTasks(peers.cluster, [arn]);
    expect(stopped.tasks?.[0]?.stoppedReason).toBe("test stop");
    await api.deregisterTaskDefinition(def.taskDefinitionArn as string);
    const after = await api.describeTaskDefinition(def.taskDefinitionArn as string);
    expect(after?.taskDefinition.status ?? "gone").not.toBe("ACTIVE");
  });

  it("finds the default VPC and its subnets; an unknown VPC is null", async () => {
    const api = ecsApiFactory()(null);
    const vpc = await api.findVpc();
    expect(vpc?.vpcId).toMatch(/^vpc-/);
    const subnets = await api.listSubnets(vpc?.vpcId as string);
    expect(subnets).toEqual(expect.arrayContaining(peers.subnets));
    expect(await api.findVpc("vpc-0000000000000dead")).toBeNull();
  });

  it("tails a log stream oldest first; a missing stream is []", async () => {
    const api = ecsApiFactory()({});
    const group = `/pushpool/${peers.prefix}`;
    expect(await api.tailLogEvents(group, "nope", 10)).toEqual([]);
    const logs = new CloudWatchLogsClient({ region: REGION });
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "s" }));
    const t = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: "s",
        logEvents: [1, 2, 3].map((i) => ({ timestamp: t + i, message: `line ${i}` })),
      }),
    );
    const tail = await api.tailLogEvents(group, "s", 2);
    expect(tail.map((e) => e.message)).toEqual(["line 2", "line 3"]);
  });
});

describe("ecsApiFactory", () => {
  it("maps AwsCredentials fields to client settings and caches one api per credentials", async () => {
    const factory = ecsApiFactory({ env: { AWS_REGION: "eu-west-1" } });
    const a = factory({
      aws_access_key_id: "AKIDEXAMPLE",
      aws_secret_access_key: "s3cr3t",
      region_name: "us-east-1",
    });
    const b = factory({
      aws_access_key_id: "AKIDEXAMPLE",
      aws_secret_access_key: "s3cr3t",
      region_name: "us-east-1",
    });
    const c = factory({});
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.region).toBe("us-east-1");
    expect(c.region).toBe("eu-west-1");
    const settings = clientSettings(
      {
        aws_access_key_id: "AKID",
        aws_secret_access_key: "x",
        aws_session_token: "tok",
        aws_client_parameters: { endpoint_url: "http://example.invalid:1" },
      },
      { env: { AWS_DEFAULT_REGION: "ap-south-1" } },
    );
    expect(settings).toEqual({
      region: "ap-south-1",
      endpoint: "http://example.invalid:1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "x", sessionToken: "tok" },
    });
    expect(clientSettings({ profile_name: "dev" }, { region: "us-east-1", env: {} }).profile).toBe("dev");
  });

  it("refuses assume_role_arn, half a key pair and a missing region", () => {
    const factory = ecsApiFactory({ env: { AWS_REGION: "us-east-1" } });
    expect(() => factory({ assume_role_arn: "arn:aws:iam::1:role/x" })).toThrow(/not supported yet/);
    expect(() => factory({ aws_access_key_id: "AKID" })).toThrow(/both/);
    expect(() => clientSettings({}, { env: {} })).toThrow(/no AWS region/);
  });

  it("talks to the endpoint named in aws_client_parameters, over AWS_ENDPOINT_URL", async () => {
    const creds = { aws_access_key_id: "testing", aws_secret_access_key: "testing" };
    const factory = ecsApiFactory({ env: { AWS_REGION: REGION, AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });
    const moto = factory({ ...creds, aws_client_parameters: { endpoint_url: peers.endpoint } });
    expect((await moto.findVpc())?.vpcId).toMatch(/^vpc-/);
    const nowhere = factory(creds);
    await expect(nowhere.findVpc()).rejects.toThrow();
  });
});
