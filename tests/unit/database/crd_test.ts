import assert from "node:assert/strict";
import {
  buildCrd,
  DatabaseSpecV1alpha1Schema,
  DatabaseSpecV1beta1Schema,
  DatabaseSpecV1Schema,
} from "../../../src/database/mod.ts";
import { renderCrdYaml } from "../../../src/database/crd_yaml.ts";

type Node = Record<string, unknown>;
interface Version {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema: { openAPIV3Schema: Node };
  subresources: { status?: Node; scale?: Record<string, string> };
  additionalPrinterColumns: { name: string; jsonPath: string; type: string }[];
}

// The object renderCrdYaml() serialises; crd_current_test pins the YAML text to it.
const crd = buildCrd() as { spec: Node & { versions: Version[] } };
const versions = crd.spec.versions;
const byName = (name: string) => versions.find((v) => v.name === name)!;

/** Visits every schema node with its path. */
function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    walk(child, `${path}.${key}`, visit);
  }
  if (typeof node.additionalProperties === "object") {
    walk(node.additionalProperties as Node, `${path}[*]`, visit);
  }
  if (typeof node.items === "object") walk(node.items as Node, `${path}[]`, visit);
}

function resolve(root: Node, jsonPath: string): Node | undefined {
  let node: Node | undefined = root;
  for (const part of jsonPath.split(".").filter(Boolean)) {
    node = (node?.properties as Record<string, Node> | undefined)?.[part];
  }
  return node;
}

Deno.test("the YAML text starts with the do-not-edit header and uses no anchors", () => {
  const text = renderCrdYaml();
  assert.match(text, /^# Generated from src\/database by tools\/gen_crds.ts; do not edit.\n/);
  assert.doesNotMatch(text, /[&*]a\d+/);
});

Deno.test("v1 is the only storage version; all three are served; v1alpha1 is deprecated with a warning", () => {
  assert.deepEqual(versions.map((v) => [v.name, v.served, v.storage]), [
    ["v1", true, true],
    ["v1beta1", true, false],
    ["v1alpha1", true, false],
  ]);
  assert.equal(byName("v1alpha1").deprecated, true);
  assert.match(byName("v1alpha1").deprecationWarning ?? "", /deprecated; use vigil.dev\/v1/);
});

Deno.test("names, scope, categories and webhook conversion are declared", () => {
  assert.deepEqual(crd.spec.names, {
    kind: "Database",
    listKind: "DatabaseList",
    plural: "databases",
    singular: "database",
    shortNames: ["db", "vdb"],
    categories: ["vigil"],
  });
  assert.equal(crd.spec.scope, "Namespaced");
  assert.deepEqual(crd.spec.conversion, {
    strategy: "Webhook",
    webhook: {
      conversionReviewVersions: ["v1"],
      clientConfig: {
        service: { namespace: "vigil-system", name: "vigil-webhook", path: "/convert", port: 443 },
      },
    },
  });
});

Deno.test("every schema node is structural: typed, no nullable, no unknown-field preservation", () => {
  for (const version of versions) {
    walk(version.schema.openAPIV3Schema, version.name, (node, path) => {
      const intOrString = node["x-kubernetes-int-or-string"] === true;
      assert.ok(intOrString || typeof node.type === "string", `${path} has no type`);
      assert.ok(!("nullable" in node), `${path} uses nullable`);
      assert.ok(
        !("x-kubernetes-preserve-unknown-fields" in node),
        `${path} preserves unknown fields`,
      );
      assert.ok(
        !("$schema" in node) && !("propertyNames" in node),
        `${path} has JSON-Schema-only keys`,
      );
      if ("additionalProperties" in node) {
        assert.equal(
          typeof node.additionalProperties,
          "object",
          `${path} additionalProperties must be a schema`,
        );
        assert.ok(!("properties" in node), `${path} mixes properties and additionalProperties`);
      }
      if (intOrString) {
        assert.deepEqual(node.anyOf, [{ type: "integer" }, { type: "string" }], path);
      }
    });
  }
});

Deno.test("every schema default is accepted by the zod schema it came from", () => {
  const specs = {
    v1: DatabaseSpecV1Schema,
    v1beta1: DatabaseSpecV1beta1Schema,
    v1alpha1: DatabaseSpecV1alpha1Schema,
  };
  for (const version of versions) {
    const specSchema = specs[version.name as keyof typeof specs];
    const spec = resolve(version.schema.openAPIV3Schema, "spec")!;
    assert.deepEqual(spec.default, {});
    assert.ok(specSchema.safeParse(spec.default).success, version.name);
    for (const [field, node] of Object.entries(spec.properties as Record<string, Node>)) {
      if ("default" in node) {
        assert.ok(
          specSchema.safeParse({ [field]: node.default }).success,
          `${version.name} ${field}`,
        );
      }
    }
  }
  assert.deepEqual(DatabaseSpecV1Schema.parse({}), {
    engine: "postgres",
    replicas: 1,
    storageSize: "10Gi",
    pvcDeletionPolicy: "Retain",
  });
});

Deno.test("CEL rules each have a message and a fieldPath that names a schema field", () => {
  for (const version of versions) {
    const spec = resolve(version.schema.openAPIV3Schema, "spec")!;
    const rules = spec["x-kubernetes-validations"] as {
      rule: string;
      message: string;
      fieldPath: string;
    }[];
    assert.ok(rules.length > 0, version.name);
    for (const rule of rules) {
      assert.match(rule.message, /^spec\.\w+/);
      assert.ok(resolve(spec, rule.fieldPath), `${version.name}: ${rule.fieldPath}`);
      if (rule.rule.includes("oldSelf")) assert.match(rule.rule, /self/);
    }
  }
});

Deno.test("v1 CEL rules cover immutability, storage shrink, limits and config size", () => {
  const spec = resolve(byName("v1").schema.openAPIV3Schema, "spec")!;
  const rules = spec["x-kubernetes-validations"] as { rule: string; fieldPath: string }[];
  assert.deepEqual(rules.map((r) => r.fieldPath), [
    ".engine",
    ".storageClassName",
    ".storageSize",
    ".resources.limits.cpu",
    ".resources.limits.memory",
    ".config",
  ]);
  assert.match(
    rules[2]!.rule,
    /quantity\(self\.storageSize\)\.compareTo\(quantity\(oldSelf\.storageSize\)\) >= 0/,
  );
  assert.equal((resolve(spec, "config") as Node).maxProperties, 20);
});

Deno.test("strings CEL reads are bounded so the cost estimator accepts the rules", () => {
  const spec = resolve(byName("v1").schema.openAPIV3Schema, "spec")!;
  for (const field of ["engine", "storageSize", "storageClassName", "version"]) {
    const node = resolve(spec, field)!;
    assert.ok(node.maxLength !== undefined || node.enum !== undefined, field);
  }
});

Deno.test("scale and status subresources point at existing fields", () => {
  for (const name of ["v1", "v1beta1"]) {
    const version = byName(name);
    assert.deepEqual(version.subresources.scale, {
      specReplicasPath: ".spec.replicas",
      statusReplicasPath: ".status.replicas",
      labelSelectorPath: ".status.selector",
    });
    for (const path of Object.values(version.subresources.scale ?? {})) {
      assert.ok(resolve(version.schema.openAPIV3Schema, path), `${name} ${path}`);
    }
  }
  assert.equal(byName("v1alpha1").subresources.scale, undefined);
  assert.ok(versions.every((v) => v.subresources.status !== undefined));
});

Deno.test("printer columns show ENGINE, VERSION, READY, PHASE and AGE from existing fields", () => {
  const v1 = byName("v1");
  assert.deepEqual(
    v1.additionalPrinterColumns.filter((c) => !("priority" in c)).map((c) => c.name.toUpperCase()),
    ["ENGINE", "VERSION", "READY", "PHASE", "AGE"],
  );
  for (const version of versions) {
    for (const column of version.additionalPrinterColumns) {
      if (column.jsonPath.startsWith(".metadata")) continue;
      assert.ok(
        resolve(version.schema.openAPIV3Schema, column.jsonPath),
        `${version.name} ${column.jsonPath}`,
      );
    }
  }
});

Deno.test("conditions are fully typed as a list map keyed by type", () => {
  const conditions = resolve(byName("v1").schema.openAPIV3Schema, "status.conditions")!;
  assert.equal(conditions["x-kubernetes-list-type"], "map");
  assert.deepEqual(conditions["x-kubernetes-list-map-keys"], ["type"]);
  const item = conditions.items as Node;
  assert.deepEqual(item.required, ["type", "status", "lastTransitionTime", "reason", "message"]);
  assert.deepEqual(Object.keys(item.properties as Node).sort(), [
    "lastTransitionTime",
    "message",
    "observedGeneration",
    "reason",
    "status",
    "type",
  ]);
});

Deno.test("v1beta1 cannot express spec.image and v1alpha1 only has the seed's fields", () => {
  const beta = resolve(byName("v1beta1").schema.openAPIV3Schema, "spec")!;
  assert.equal(resolve(beta, "image"), undefined);
  const alpha = resolve(byName("v1alpha1").schema.openAPIV3Schema, "spec")!;
  assert.deepEqual(Object.keys(alpha.properties as Node), [
    "size",
    "dbVersion",
    "storage",
    "backup",
  ]);
});
