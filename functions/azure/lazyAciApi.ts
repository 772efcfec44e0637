/**
 * @module
 * The ACI port with the Resource Manager SDKs (./aciApi.ts) loaded on its first call, so a function
 * that never reaches ARM (webhook, cron, poison) does not load them, and the package's shared
 * bundle stays under 1 MB.
 */
import type { AciApi, AciApiFactory } from "../../core/backends/azure-container-instance/port.ts";
import type { AzureBaseConfig } from "./aciApi.ts";

export function lazyAciApiFactory(base: AzureBaseConfig = {}): AciApiFactory {
  let loaded: Promise<AciApiFactory> | undefined;
  const factory = () => {
    loaded ??= import("./aciApi.ts").then((m) => m.aciApiFactory(base));
    return loaded;
  };
  return (choice, subscriptionId) => {
    const api = async (): Promise<AciApi> => (await factory())(choice, subscriptionId);
    return {
      deploy: async (rg, name, deployment) => (await api()).deploy(rg, name, deployment),
      getDeployment: async (rg, name) => (await api()).getDeployment(rg, name),
      getContainerGroup: async (rg, name) => (await api()).getContainerGroup(rg, name),
      stopContainerGroup: async (rg, name) => (await api()).stopContainerGroup(rg, name),
      deleteContainerGroup: async (rg, name) => (await api()).deleteContainerGroup(rg, name),
      listLogs: async (rg, group, container, tail) => (await api()).listLogs(rg, group, container, tail),
    };
  };
}
