/** Small hand-written fakes of the PrefectApi methods templating reads, counting their calls. */
import type { BlockDocument, Json, JsonObject } from "../../../core/prefect/types.ts";

export interface FakeTemplateApi {
  calls: { byId: string[]; byName: Array<[string, string]>; variables: string[] };
  readBlockDocument(id: string): Promise<BlockDocument | null>;
  readBlockDocumentByName(slug: string, name: string): Promise<BlockDocument | null>;
  readVariable(name: string): Promise<Json | undefined>;
}

export function fakeTemplateApi(
  fixtures: {
    byId?: Record<string, JsonObject>;
    byName?: Record<string, JsonObject>;
    variables?: Record<string, Json>;
  } = {},
): FakeTemplateApi {
  const calls: FakeTemplateApi["calls"] = { byId: [], byName: [], variables: [] };
  const doc = (data: JsonObject): BlockDocument => ({ id: "id", name: "name", data: structuredClone(data) });
  return {
    calls,
    async readBlockDocument(id) {
      calls.byId.push(id);
      const data = fixtures.byId?.[id];
      return data ? doc(data) : null;
    },
    async readBlockDocumentByName(slug, name) {
      calls.byName.push([slug, name]);
      const data = fixtures.byName?.[`${slug}/${name}`];
      return data ? doc(data) : null;
    },
    async readVariable(name) {
      calls.variables.push(name);
      return fixtures.variables && Object.hasOwn(fixtures.variables, name)
        ? fixtures.variables[name]
        : undefined;
    },
  };
}
