import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../core/shared/errors.ts";
import { resolveBlockDocumentReferences } from "../../../core/template/blocks.ts";
import { BlockNotFoundError, TemplateTypeError, TemplateValueError } from "../../../core/template/errors.ts";
import { fakeTemplateApi } from "./fakes.ts";

const ID = "2f3c5a2e-9b7d-4f0a-8c1e-123456789abc";
const fixtures = {
  byId: { [ID]: { a: 1, b: "hello" } },
  byName: {
    "my-type/my-block": { a: 1, b: "hello" },
    "secret/my-secret": { value: "my-private-repo.com" },
    "webhook/my-hook": { url: "https://example.com", headers: { a: "b" } },
    "json/vv": { value: { values: 5, value: 6 } },
  },
};

describe("resolveBlockDocumentReferences (Prefect's resolve_block_document_references)", () => {
  it("replaces a $ref dict by the block's data, dropping siblings, nested and in lists", async () => {
    const api = fakeTemplateApi(fixtures);
    const ref = { $ref: { block_document_id: ID } };
    expect(await resolveBlockDocumentReferences({ key: ref }, api)).toEqual({ key: { a: 1, b: "hello" } });
    expect(await resolveBlockDocumentReferences({ a: { b: { ...ref, sibling: 1 } }, l: [ref] }, api)).toEqual(
      {
        a: { b: { a: 1, b: "hello" } },
        l: [{ a: 1, b: "hello" }],
      },
    );
  });

  it("reads each id once per call and returns distinct copies", async () => {
    const api = fakeTemplateApi(fixtures);
    const ref = { $ref: { block_document_id: ID } };
    const out = (await resolveBlockDocumentReferences({ a: ref, b: ref }, api)) as Record<string, object>;
    expect(api.calls.byId).toEqual([ID]);
    expect(out.a).toEqual(out.b);
    expect(out.a).not.toBe(out.b);
    await resolveBlockDocumentReferences({ a: ref }, api);
    expect(api.calls.byId).toHaveLength(2); // the cache lives for one call only
  });

  it("resolves whole, inline and nested block placeholders with one read", async () => {
    const api = fakeTemplateApi(fixtures);
    const out = await resolveBlockDocumentReferences(
      {
        full: "{{ prefect.blocks.my-type.my-block }}",
        inline: "prefix-{{ prefect.blocks.my-type.my-block.b }}-suffix",
        nested: { x: "{{ prefect.blocks.my-type.my-block.a }}" },
      },
      api,
    );
    expect(out).toEqual({ full: { a: 1, b: "hello" }, inline: "prefix-hello-suffix", nested: { x: 1 } });
    expect(api.calls.byName).toEqual([["my-type", "my-block"]]);
  });

  it("unwraps a lone value key unless the keypath points into it", async () => {
    const api = fakeTemplateApi(fixtures);
    expect(
      await resolveBlockDocumentReferences("{{ prefect.blocks.secret.my-secret.value }}/my-image-name", api),
    ).toBe("my-private-repo.com/my-image-name");
    expect(await resolveBlockDocumentReferences("{{ prefect.blocks.secret.my-secret }}", api)).toBe(
      "my-private-repo.com",
    );
    expect(
      await resolveBlockDocumentReferences(
        [
          "{{ prefect.blocks.json.vv.values }}",
          "{{ prefect.blocks.json.vv.value }}",
          "{{ prefect.blocks.json.vv.value.value }}",
        ],
        api,
      ),
    ).toEqual([5, { values: 5, value: 6 }, 6]);
  });

  it("leaves standard placeholders intact and resolves keypaths", async () => {
    const api = fakeTemplateApi(fixtures);
    expect(
      await resolveBlockDocumentReferences(
        "{{ standard_placeholder }}/{{ prefect.blocks.my-type.my-block.b }}",
        api,
      ),
    ).toBe("{{ standard_placeholder }}/hello");
    expect(await resolveBlockDocumentReferences({ key: "{{ standard_placeholder }}" }, api)).toEqual({
      key: "{{ standard_placeholder }}",
    });
    expect(await resolveBlockDocumentReferences("{{ prefect.blocks.webhook.my-hook.url }}", api)).toBe(
      "https://example.com",
    );
    expect(api.calls.byName).toHaveLength(2);
  });

  it("raises Prefect's errors", async () => {
    const api = fakeTemplateApi(fixtures);
    const inline = resolveBlockDocumentReferences("{{ prefect.blocks.my-type.my-block }} extra text", api);
    await expect(inline).rejects.toThrow(TemplateValueError);
    await expect(inline).rejects.toThrow(
      "Invalid template: '{{ prefect.blocks.my-type.my-block }} extra text'. Block placeholder " +
        "'{{ prefect.blocks.my-type.my-block }}' resolved to a dict, which cannot be used for inline string " +
        "substitution. Resolve a scalar attribute instead (e.g., '.value' or '.url').",
    );
    const byName = resolveBlockDocumentReferences("{{ prefect.blocks.my-type.gone }}", api);
    await expect(byName).rejects.toThrow(BlockNotFoundError);
    await expect(byName).rejects.toThrow(
      "Block not found: 'gone' of type 'my-type'. This block was referenced in your deployment or work pool " +
        "configuration but no longer exists. It may have been deleted. Please check your configuration or create a new block.",
    );
    await expect(
      resolveBlockDocumentReferences({ $ref: { block_document_id: "nope" } }, api),
    ).rejects.toThrow(/^Block not found: ID 'nope'\. .*no longer exists/);
    const before = api.calls.byName.length;
    await expect(resolveBlockDocumentReferences("{{ prefect.blocks.only-type }}", api)).rejects.toThrow(
      "Invalid block placeholder format: 'prefect.blocks.only-type'. Expected format: prefect.blocks.<block-type-slug>.<block-document-name>",
    );
    expect(api.calls.byName).toHaveLength(before); // no network call before the format check
    await expect(
      resolveBlockDocumentReferences("{{ prefect.blocks.my-type.my-block.zzz }}", api),
    ).rejects.toThrow(
      "Invalid template: '{{ prefect.blocks.my-type.my-block.zzz }}'. Could not resolve the keypath in the block document data.",
    );
    const bare = resolveBlockDocumentReferences({ $ref: ID }, api);
    await expect(bare).rejects.toThrow(TemplateTypeError);
    await expect(bare).rejects.toThrow("'str' object has no attribute 'get'");
    await expect(bare).rejects.toBeInstanceOf(ValidationError);
  });

  it("ignores falsy ids and the block_document_slug form", async () => {
    const api = fakeTemplateApi(fixtures);
    const slug = { $ref: { block_document_slug: "my-type/my-block" } };
    expect(await resolveBlockDocumentReferences(slug, api)).toEqual(slug);
    expect(await resolveBlockDocumentReferences({ $ref: { block_document_id: "" } }, api)).toEqual({
      $ref: { block_document_id: "" },
    });
    expect(api.calls.byId).toEqual([]);
  });

  it("a template without block placeholders or $ref comes back as an equal copy, nothing read", async () => {
    const api = fakeTemplateApi({});
    const template = {
      env: { A: "{{ prefect.variables.v }}", ref: { id: "x" } },
      l: ["prefect.blocks.a", 1],
    };
    const out = await resolveBlockDocumentReferences(template, api);
    expect(out).toEqual(template);
    expect(out).not.toBe(template);
    expect((out as typeof template).env).not.toBe(template.env);
    expect(api.calls).toEqual({ byId: [], byName: [], variables: [] });
  });

  it("a $ref nested after plain values still takes the walk (its errors unchanged)", async () => {
    const api = fakeTemplateApi({});
    await expect(
      resolveBlockDocumentReferences({ a: "plain", b: [{ $ref: "not a dict" }] }, api),
    ).rejects.toThrow(TemplateTypeError);
  });
});
