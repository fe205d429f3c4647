import assert from "node:assert/strict";
import {
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { readBlockYaml } from "../../../src/source/block-yaml.js";
import { startFileSource, type FileSource } from "../../../src/source/file.js";
import {
  parseManifestText,
  parseManifestTextAsync,
  splitYamlDocuments,
} from "../../../src/source/manifest.js";
import type { ObjectSink } from "../../../src/source/store.js";
import { UnitGeneration } from "../../../src/source/unit-memo.js";
import { parseObject } from "../../../src/zone/objects.js";
import type {
  ClusterObject,
  EndpointSlice,
  ObjectKind,
  ParseResult,
  ServiceImport,
  ValidationProblem,
} from "../../../src/zone/types.js";

// ---------------------------------------------------------------------------------------
// Helpers

/** Calls made in one synchronous run share a batch number; any await in between changes it. */
let batch = 0;
let batchEnding = false;
function currentBatch(): number {
  if (!batchEnding) {
    batchEnding = true;
    queueMicrotask(() => {
      batchEnding = false;
      batch++;
    });
  }
  return batch;
}

class RecordingSink implements ObjectSink {
  readonly calls: { call: string; batch: number }[] = [];
  readonly current = new Map<ObjectKind, ClusterObject[]>();
  readonly rejects: ValidationProblem[] = [];
  replaceCount = 0;

  upsert(): void {
    throw new Error("the file source only replaces");
  }
  remove(): void {
    throw new Error("the file source only replaces");
  }
  replace(kind: ObjectKind, objects: readonly ClusterObject[]): void {
    this.calls.push({ call: `replace ${kind}`, batch: currentBatch() });
    this.current.set(kind, [...objects]);
    this.replaceCount++;
  }
  reject(problem: ValidationProblem): void {
    this.calls.push({ call: "reject", batch: currentBatch() });
    this.rejects.push(problem);
  }
  markSynced(): void {
    this.calls.push({ call: "synced", batch: currentBatch() });
  }
  /** "namespace/name" of the current objects of a kind, in the order given. */
  names(kind: ObjectKind): string[] {
    return (this.current.get(kind) ?? []).map((o) => `${o.namespace}/${o.name}`);
  }
  get imports(): ServiceImport[] {
    return (this.current.get("ServiceImport") ?? []) as ServiceImport[];
  }
  get slices(): EndpointSlice[] {
    return (this.current.get("EndpointSlice") ?? []) as EndpointSlice[];
  }
}

interface LogLine {
  level: "info" | "warn" | "error";
  obj: object;
  msg: string;
}

class RecordingLog {
  readonly lines: LogLine[] = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: "info", obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: "error", obj, msg });
  }
  at(level: LogLine["level"]): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function importYaml(
  name: string,
  ip: string,
  apiVersion = "multicluster.x-k8s.io/v1beta1",
  namespace = "demo",
): string {
  return `apiVersion: ${apiVersion}
kind: ServiceImport
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  type: ClusterSetIP
  ips: [${ip}]
  ports:
  - name: http
    protocol: TCP
    port: 80
`;
}

function sliceYaml(name: string, service: string, cluster: string, addresses: string[]): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}
  namespace: demo
  labels:
    multicluster.kubernetes.io/service-name: ${service}
    multicluster.kubernetes.io/source-cluster: ${cluster}
addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: 8080
endpoints:
${addresses.map((a) => `- addresses: ["${a}"]\n  conditions:\n    ready: true\n`).join("")}`;
}

function importJson(name: string, ip: string): object {
  return {
    apiVersion: "multicluster.x-k8s.io/v1beta1",
    kind: "ServiceImport",
    metadata: { name, namespace: "demo" },
    spec: { type: "ClusterSetIP", ips: [ip], ports: [{ name: "http", protocol: "TCP", port: 80 }] },
  };
}

let dir: string;
let sources: FileSource[] = [];

async function start(
  path: string,
  sink = new RecordingSink(),
  log = new RecordingLog(),
  settleMs?: number,
  debounceMs = 20,
): Promise<{ source: FileSource; sink: RecordingSink; log: RecordingLog }> {
  const source = await startFileSource({ path, sink, log, debounceMs, settleMs });
  sources.push(source);
  return { source, sink, log };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clusterset-dns-file-"));
});

afterEach(async () => {
  for (const source of sources) source.close();
  sources = [];
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// manifest.ts

describe("parseManifestText", () => {
  it("reads every document of a multi-document YAML file, skipping empty ones", () => {
    const text = `# leading comment
---
apiVersion: v1
kind: A
metadata: {name: one}
---
# only a comment
---
--- {apiVersion: v1, kind: B}
...
kind: C
`;
    assert.deepEqual(parseManifestText(text, "m.yaml"), {
      objects: [
        { apiVersion: "v1", kind: "A", metadata: { name: "one" } },
        { apiVersion: "v1", kind: "B" },
        { kind: "C" },
      ],
      errors: [],
    });
  });

  it("does not split at '---' inside a block scalar or at '----'", () => {
    const text = "kind: A\nnote: |\n  ---\n  text\nother: ----\n";
    assert.deepEqual(parseManifestText(text, "m.yaml").objects, [
      { kind: "A", note: "---\ntext\n", other: "----" },
    ]);
  });

  it("flattens List and typed <Kind>List items, filling in kind and apiVersion of typed items", () => {
    const text = `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: A, metadata: {name: a}}
- apiVersion: v1
  kind: List
  items:
  - {kind: B}
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceImportList
metadata: {resourceVersion: "7"}
items:
- metadata: {name: s, namespace: n}
- {kind: Other, metadata: {name: o}}
---
kind: EndpointSliceList
items: null
`;
    assert.deepEqual(parseManifestText(text, "m.yaml"), {
      objects: [
        { apiVersion: "v1", kind: "A", metadata: { name: "a" } },
        { kind: "B" },
        {
          apiVersion: "multicluster.x-k8s.io/v1beta1",
          kind: "ServiceImport",
          metadata: { name: "s", namespace: "n" },
        },
        { kind: "Other", metadata: { name: "o" } },
      ],
      errors: [],
    });
  });

  it("reads kubectl's JSON List, with items before kind, item by item", async () => {
    const path = new URL(
      "../../fixtures/source/kubectl-get-serviceimports-endpointslices.json",
      import.meta.url,
    );
    const text = await readFile(path, "utf8");
    const result = parseManifestText(text, "get.json");
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.objects.map((o) => {
        const object = o as { kind: string; metadata: { name: string } };
        return `${object.kind}/${object.metadata.name}`;
      }),
      [
        "ServiceImport/nginx",
        "EndpointSlice/nginx-shop-cluster-a",
        "EndpointSlice/nginx-shop-cluster-b",
      ],
    );
    assert.deepEqual(result.objects, (JSON.parse(text) as { items: unknown[] }).items);
  });

  it("reads a single JSON object, a top-level array and a stream of JSON values", () => {
    const one = { kind: "A", s: 'x"]}\\' };
    assert.deepEqual(parseManifestText(JSON.stringify(one), "a.json").objects, [one]);
    assert.deepEqual(parseManifestText(`[{"kind":"A"},{"kind":"B"}]`, "a.json").objects, [
      { kind: "A" },
      { kind: "B" },
    ]);
    assert.deepEqual(
      parseManifestText(`{"kind":"A"}\n{"kind":"List","items":[{"kind":"B"}]}`, "a.json").objects,
      [{ kind: "A" }, { kind: "B" }],
    );
    assert.deepEqual(
      parseManifestText(`{"kind":"BList","apiVersion":"x/v1","items":[{"a":1}]}`, "a.json").objects,
      [{ apiVersion: "x/v1", kind: "B", a: 1 }],
    );
  });

  it("takes a YAML flow mapping in a .yaml file, but insists on JSON in a .json file", () => {
    assert.deepEqual(parseManifestText("{kind: A}", "a.yaml"), {
      objects: [{ kind: "A" }],
      errors: [],
    });
    assert.deepEqual(parseManifestText("{kind: A}", "a.json").objects, []);
    assert.match(
      parseManifestText("{kind: A}", "a.json").errors[0] ?? "",
      /^a\.json: line 1 column 2: /,
    );
  });

  it("names the file, document and line of a YAML error", () => {
    const text = "kind: A\n---\nkind: B\nmetadata:\n  name: a: b\n---\nkind: C\n";
    const result = parseManifestText(text, "dir/bad.yaml");
    assert.deepEqual(result.errors, [
      "dir/bad.yaml: document 2, line 5 column 9: Nested mappings are not allowed in compact mappings",
    ]);
    assert.deepEqual(result.objects, [{ kind: "A" }, { kind: "C" }]);
  });

  it("reports documents that are not objects, and JSON errors with their line", () => {
    assert.deepEqual(parseManifestText("kind: A\n---\njust text\n", "s.yaml").errors, [
      "s.yaml: document 2, line 2 column 1: expected an object, got string",
    ]);
    assert.deepEqual(
      parseManifestText('{"kind":"List","items":[\n{"a":1},\n{"a":}]}', "l.json").errors,
      ['l.json: line 3 column 1: Unexpected token \'}\', "{"a":}" is not valid JSON'],
    );
    assert.deepEqual(parseManifestText('{"kind":"List","items":[{"a":1}', "t.json").errors, [
      "t.json: line 1 column 32: unexpected end of input",
    ]);
  });

  it("splits YAML at column-0 markers only", () => {
    const chunks = splitYamlDocuments("a: 1\n---\nb: 2\n ---\n...\nc: 3\n--- # x\n");
    assert.deepEqual(
      chunks.map((c) => [c.start, c.text]),
      [
        [0, "a: 1\n"],
        [5, "---\nb: 2\n ---\n"],
        [23, "c: 3\n"],
        [28, "--- # x\n"],
      ],
    );
  });

  it("gives the same result asynchronously", async () => {
    const text = importYaml("a", "10.0.0.1") + "---\n" + importYaml("b", "10.0.0.2");
    assert.deepEqual(
      await parseManifestTextAsync(text, "m.yaml", 0),
      parseManifestText(text, "m.yaml"),
    );
  });

  it("converts each object as it is parsed, in order, kubectl's item-before-kind Lists too", async () => {
    const seen: unknown[] = [];
    const convert = (raw: unknown): string => {
      seen.push(raw);
      return `#${seen.length}`;
    };
    const text = `{"items":[{"a":1},{"kind":"C","a":2}],"kind":"BList","apiVersion":"x/v1"}\n[{"kind":"D"}]`;
    assert.deepEqual(await parseManifestTextAsync(text, "l.json", 0, convert), {
      objects: ["#1", "#2", "#3"],
      errors: [],
    });
    assert.deepEqual(seen, [
      { apiVersion: "x/v1", kind: "B", a: 1 },
      { kind: "C", a: 2 },
      { kind: "D" },
    ]);
  });

  it("drops what was converted from a JSON attempt when the text turns out to be YAML", async () => {
    let calls = 0;
    const convert = (raw: unknown): unknown => {
      calls++;
      return raw;
    };
    // The first element is JSON, the second only YAML: the file is read again as YAML.
    const parsed = await parseManifestTextAsync('[{"kind":"A"}, {kind: B}]', "f.yaml", 0, convert);
    assert.deepEqual(parsed, { objects: [{ kind: "A" }, { kind: "B" }], errors: [] });
    assert.equal(calls, 3);
  });

  it("reports a bad item of a kubectl List where it is, with the items before it kept", async () => {
    const text = '{"items":[{"a":1},\n{"a":}],"kind":"List"}';
    assert.deepEqual(await parseManifestTextAsync(text, "l.json", 0), {
      objects: [{ a: 1 }],
      errors: ["l.json: line 2 column 1: " + jsonParseMessage('{"a":}')],
    });
  });
});

/** What JSON.parse says about `text`, first line; its wording differs between Node versions. */
function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message.split("\n", 1)[0]?.trim() ?? "";
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// unit-memo.ts: re-reading what changed only

type Converted = ParseResult<ClusterObject> | undefined;

/** A kubectl-style JSON List, with "kind" after "items" as kubectl writes it. */
function kubectlList(items: object[], list: object = { kind: "List" }): string {
  return JSON.stringify(
    { apiVersion: "v1", items, ...list, metadata: { resourceVersion: "" } },
    null,
    1,
  );
}

/** Parse as the file source does, with a memo carried over from `previous`; counts conversions. */
async function parseCounting(
  text: string,
  previous?: UnitGeneration<Converted>,
  fileName = "m.json",
): Promise<{ objects: Converted[]; memo: UnitGeneration<Converted>; converted: number }> {
  const memo = new UnitGeneration<Converted>(previous?.units);
  let converted = 0;
  const convert = (raw: unknown): Converted => {
    converted++;
    return parseObject(raw);
  };
  const result = await parseManifestTextAsync(text, fileName, 0, convert, memo);
  assert.deepEqual(result.errors, []);
  return { objects: result.objects, memo, converted };
}

/** What a fresh parse of `text` gives, without any memo. */
function freshObjects(text: string, fileName = "m.json"): Converted[] {
  return parseManifestText(text, fileName).objects.map((raw) => parseObject(raw));
}

const importNames = (objects: readonly Converted[]): string[] =>
  objects.map((result) => result?.object?.name ?? "-");

describe("re-parsing with a unit memo", () => {
  const imports = (count: number): object[] =>
    Array.from({ length: count }, (_, i) => importJson(`svc-${i}`, `10.42.0.${i}`));

  it("keys units apart that UTF-8 alone would merge or confuse", () => {
    const memo = new UnitGeneration();
    const distinct = [
      // Lone surrogates: UTF-8 turns both into U+FFFD.
      "\uD800",
      "\uDFFF",
      "\uFFFD",
      // The UTF-16 bytes of the first (00 D8 A5 00) are the UTF-8 bytes of the second.
      "\uD800\u00A5",
      "\u0000\u0625\u0000",
      "kind: List",
      "kind: list",
    ];
    assert.equal(new Set(distinct.map((unit) => memo.keyOf(unit))).size, distinct.length);
    assert.equal(memo.keyOf("a: \u{1F600}"), memo.keyOf("a: \u{1F600}"));
  });

  it("parses only the List item that changed, and gives the same objects for the rest", async () => {
    const before = imports(5);
    const first = await parseCounting(kubectlList(before));
    assert.equal(first.converted, 5);

    const after = [...before];
    after[2] = importJson("svc-2", "10.42.1.2");
    const text = kubectlList(after);
    const second = await parseCounting(text, first.memo);
    assert.equal(second.converted, 1);
    assert.equal(second.memo.parsed, 1);
    assert.deepEqual(second.objects, freshObjects(text));
    for (const i of [0, 1, 3, 4]) assert.equal(second.objects[i], first.objects[i]);
    assert.notEqual(second.objects[2], first.objects[2]);
  });

  it("follows items removed, added, renamed and moved", async () => {
    const before = imports(6);
    const first = await parseCounting(kubectlList(before));
    const after = [
      before[5] as object, // moved to the front
      ...before.slice(1, 3), // svc-0 removed
      importJson("renamed", "10.42.0.3"),
      before[4] as object,
      importJson("added", "10.42.0.9"),
    ];
    const text = kubectlList(after);
    const second = await parseCounting(text, first.memo);
    assert.equal(second.converted, 2);
    assert.deepEqual(importNames(second.objects), [
      "svc-5",
      "svc-1",
      "svc-2",
      "renamed",
      "svc-4",
      "added",
    ]);
    assert.deepEqual(second.objects, freshObjects(text));
    // A unit not in this version is forgotten: putting svc-0 back parses it again.
    const third = await parseCounting(kubectlList(before), second.memo);
    assert.equal(third.converted, 2);
  });

  it("parses only the YAML document that changed", async () => {
    const documents = (ip: string): string =>
      [
        importYaml("a", "10.42.0.1"),
        sliceYaml("a-east", "a", "east", ["10.1.0.1"]),
        importYaml("b", ip),
      ].join("---\n");
    const first = await parseCounting(documents("10.42.0.2"), undefined, "m.yaml");
    assert.equal(first.converted, 3);
    const text = documents("10.42.0.3");
    const second = await parseCounting(text, first.memo, "m.yaml");
    assert.equal(second.converted, 1);
    assert.deepEqual(second.objects, freshObjects(text, "m.yaml"));
    assert.equal(second.objects[1], first.objects[1]);
  });

  it("parses an unchanged item again when its List gives it another kind or apiVersion", async () => {
    // Items of a typed List inherit its kind and apiVersion: the same text, another object.
    const item = { metadata: { name: "a", namespace: "demo" }, spec: { type: "ClusterSetIP" } };
    const list = (apiVersion: string): string =>
      JSON.stringify({ apiVersion, items: [item], kind: "ServiceImportList" });
    const first = await parseCounting(list("multicluster.x-k8s.io/v1beta1"));
    assert.equal(first.objects[0]?.object?.kind, "ServiceImport");
    const second = await parseCounting(list("net.gke.io/v1"), first.memo);
    assert.equal(second.converted, 1);
    assert.deepEqual(second.objects, [undefined]);
  });

  it("a memo carried over from another text changes nothing in the result (property)", async () => {
    const name = fc.constantFrom("a", "b", "é-ü", "日本", 'x"y\\', "🙂");
    const item = fc.oneof(
      fc.record({ kind: fc.constantFrom("ServiceImport", "Other"), metadata: fc.record({ name }) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const manifest = fc.tuple(
      fc.array(item, { maxLength: 4 }),
      fc.constantFrom("kubectl", "typed", "array", "stream", "object"),
      fc.constantFrom(0, 1, 2),
    );
    const render = ([items, shape, indent]: [unknown[], string, number]): string => {
      const json = (value: unknown): string => JSON.stringify(value, null, indent);
      if (shape === "kubectl") return json({ apiVersion: "v1", items, kind: "List" });
      if (shape === "typed") return json({ kind: "ServiceImportList", apiVersion: "x/v1", items });
      if (shape === "array") return json(items);
      if (shape === "stream") return items.map((value) => json(value)).join("\n");
      return json(items[0] ?? {});
    };
    // Damage: cut the text short, or put a character in that JSON may not have there.
    const damage = fc.option(
      fc.tuple(fc.nat(), fc.constantFrom("", "x", "}", "]", ",", '"', "\\", "\u00e9")),
    );
    const identity = (raw: unknown): unknown => raw;
    await fc.assert(
      fc.asyncProperty(
        manifest,
        manifest,
        damage,
        fc.constantFrom("m.json", "m.yaml"),
        fc.boolean(),
        async (one, two, harm, name, bom) => {
          // Damaged text in a .yaml file goes to the yaml package, which warns on stderr about
          // the odd keys it then finds; the give-up path is the same for a .json file.
          const fileName = harm === null ? name : "m.json";
          let second = render(two);
          if (harm !== null) {
            const at = harm[0] % (second.length + 1);
            second = second.slice(0, at) + harm[1] + (harm[1] === "" ? "" : second.slice(at));
          }
          const texts = [render(one), second].map((text) => (bom ? `\ufeff${text}` : text));
          let memo: UnitGeneration<unknown> | undefined;
          for (const text of texts) {
            const expected = await parseManifestTextAsync(text, fileName, 0);
            memo = new UnitGeneration(memo?.units);
            assert.deepEqual(
              await parseManifestTextAsync(text, fileName, 0, identity, memo),
              expected,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("YAML documents remembered by a memo give what a fresh read gives (property)", async () => {
    const value = fc.oneof(
      fc.record({ kind: fc.constantFrom("A", "B"), metadata: fc.record({ name: fc.string() }) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const lineEnd = fc.constantFrom("\n", "\r\n", "\r");
    const separator = fc.constantFrom(
      "---\n",
      "--- \n",
      "---\n\n",
      "...\n---\n",
      "...\n",
      "--- # c\n",
    );
    // Pieces that look like markers and are not, or are where the text path also finds them.
    const noise = fc.constantFrom("", "----\n", " ---\n", "a: ---\n", "# ...\n", "\t\n", "\u2028");
    const documents = fc.array(fc.tuple(value, separator, noise), { maxLength: 4 });
    const identity = (raw: unknown): unknown => raw;
    await fc.assert(
      fc.asyncProperty(documents, lineEnd, fc.boolean(), async (parts, eol, bom) => {
        const text =
          (bom ? "\ufeff" : "") +
          parts
            .map(([doc, sep, junk]) => `${stringifyYaml(doc)}${junk}${sep}`)
            .join("")
            .replaceAll("\n", eol);
        const expected = await parseManifestTextAsync(text, "m.yaml", 0);
        const memo = new UnitGeneration<unknown>();
        assert.deepEqual(await parseManifestTextAsync(text, "m.yaml", 0, identity, memo), expected);
        const again = new UnitGeneration(memo.units);
        assert.deepEqual(
          await parseManifestTextAsync(text, "m.yaml", 0, identity, again),
          expected,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("readBlockYaml (fast path)", () => {
  it("reads plain block YAML exactly like the yaml package", () => {
    const text = `# c
metadata:
  name: x   # trailing comment
  labels:
    multicluster.kubernetes.io/source-cluster: edge.eu
    "quoted key": 'it''s'
ports:
- name: http
  port: 80
  protocol: TCP
-   name: "dns\\t"
    port: 053
endpoints:
  - addresses: ["10.1.2.3", fd00::1, '1.2.3.4']
    conditions: {}
    hostname:
    zero: -0
    list: []
nums: [1, 0x1F, 0o17, 1.5, 1e3, .inf, ~, true, False, yes]
`;
    const fast = readBlockYaml(text);
    assert.notEqual(fast, undefined);
    assert.deepEqual(fast, parseYaml(text));
  });

  for (const [what, text] of [
    ["an anchor", "a: &x 1\nb: *x\n"],
    ["a tag", "a: !!str 1\n"],
    ["a block scalar", "a: |\n  x\n"],
    ["a multi-line plain scalar", "a: x\n  y\n"],
    ["a tab", "a:\tx\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a nested mapping on one line", "a: b: c\n"],
    ["a flow mapping", "a: {b: 1}\n"],
    ["a nested flow sequence", "a: [[1]]\n"],
    ["an unclosed quote", "a: 'x\n  y'\n"],
    ["bad indentation", "a:\n    b: 1\n  c: 2\n"],
  ] as const)
    it(`leaves ${what} to the yaml package`, () => {
      assert.equal(readBlockYaml(text), undefined);
    });

  it("never disagrees with the yaml package (property)", () => {
    const key = fc.oneof(
      fc.constantFrom("name", "true", "80", "a b", "x:y", "#", "-", "__proto__", ""),
      fc.string({ maxLength: 5 }),
    );
    const text = fc.oneof(
      fc.constantFrom(
        "",
        "null",
        "~",
        "True",
        "10",
        "0x1",
        "1.5",
        "-",
        "- a",
        "a: b",
        "#x",
        "x #y",
        "fd00::",
      ),
      fc.string({ maxLength: 8 }),
    );
    const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, scalar, tie("array"), tie("object")),
      array: fc.array(tie("node"), { maxLength: 3 }),
      object: fc.dictionary(key, tie("node"), { maxKeys: 3 }),
    })).node;
    const options = fc.record({
      indent: fc.integer({ min: 1, max: 4 }),
      indentSeq: fc.boolean(),
      defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"),
    } as const);
    let accepted = 0;
    fc.assert(
      fc.property(value, options, (v, o) => {
        const yamlText = stringifyYaml(v, o);
        const fast = readBlockYaml(yamlText);
        if (fast !== undefined) {
          accepted++;
          assert.deepEqual(fast, parseYaml(yamlText));
        }
      }),
      { numRuns: 400 },
    );
    assert.ok(accepted > 200, `fast path took only ${accepted} of 400`);
  });
});

// ---------------------------------------------------------------------------------------
// file.ts

describe("file source", () => {
  it("loads a multi-document file: replaces all three kinds in one tick, then marks synced", async () => {
    const path = join(dir, "set.yaml");
    await writeFile(
      path,
      [
        importYaml("a", "10.42.0.1", "multicluster.x-k8s.io/v1alpha1"),
        sliceYaml("a-east", "a", "east", ["10.1.0.1", "10.1.0.2"]),
        "apiVersion: about.k8s.io/v1beta1\nkind: ClusterProperty\nmetadata:\n  name: cluster.clusterset.k8s.io\nspec:\n  value: east\n",
      ].join("---\n"),
    );
    const { sink, log } = await start(path);
    assert.deepEqual(
      sink.calls.map((c) => c.call),
      ["replace ServiceImport", "replace EndpointSlice", "replace ClusterProperty", "synced"],
    );
    assert.equal(new Set(sink.calls.map((c) => c.batch)).size, 1);
    assert.deepEqual(sink.imports, [
      {
        kind: "ServiceImport",
        namespace: "demo",
        name: "a",
        type: "ClusterSetIP",
        ips: ["10.42.0.1"],
        ports: [{ name: "http", protocol: "TCP", port: 80 }],
        clusters: [],
      },
    ]);
    assert.deepEqual(
      sink.slices.map((s) => [s.name, s.clusterId, s.endpoints.map((e) => e.addresses[0])]),
      [["a-east", "east", ["10.1.0.1", "10.1.0.2"]]],
    );
    assert.deepEqual(sink.current.get("ClusterProperty"), [
      { kind: "ClusterProperty", namespace: "", name: "cluster.clusterset.k8s.io", value: "east" },
    ]);
    const loaded = log.at("info").find((l) => l.msg === "file source loaded");
    assert.ok(loaded);
    assert.deepEqual(
      { ...loaded.obj, ms: 0 },
      {
        path,
        files: 1,
        serviceImports: 1,
        endpointSlices: 1,
        clusterProperties: 1,
        ignored: 0,
        problems: 0,
        ms: 0,
      },
    );
  });

  it("loads a List and kubectl's JSON output", async () => {
    const listPath = join(dir, "list.yaml");
    await writeFile(
      listPath,
      `apiVersion: v1\nkind: List\nitems:\n${[
        importYaml("a", "10.42.0.1"),
        importYaml("b", "10.42.0.2"),
      ]
        .map((doc) => "- " + doc.trimEnd().split("\n").join("\n  "))
        .join("\n")}\n`,
    );
    const list = await start(listPath);
    assert.deepEqual(list.sink.names("ServiceImport"), ["demo/a", "demo/b"]);

    const fixture = new URL(
      "../../fixtures/source/kubectl-get-serviceimports-endpointslices.json",
      import.meta.url,
    );
    const json = await start(fixture.pathname);
    assert.deepEqual(json.sink.names("ServiceImport"), ["shop/nginx"]);
    assert.deepEqual(
      json.sink.slices.map((s) => [s.name, s.clusterId, s.endpoints.map((e) => e.ready)]),
      [
        ["nginx-shop-cluster-a", "cluster-a", [true]],
        ["nginx-shop-cluster-b", "cluster-b", [false]],
      ],
    );
    assert.deepEqual(json.sink.rejects, []);
  });

  it("loads every .yaml, .yml and .json file of a folder in name order, and nothing else", async () => {
    await writeFile(join(dir, "b.yml"), importYaml("b", "10.42.0.2"));
    await writeFile(join(dir, "a.yaml"), importYaml("a", "10.42.0.1"));
    await writeFile(join(dir, "c.json"), JSON.stringify(importJson("c", "10.42.0.3")));
    await writeFile(join(dir, "d.txt"), importYaml("d", "10.42.0.4"));
    await writeFile(join(dir, ".#e.yaml"), importYaml("e", "10.42.0.5"));
    await writeFile(join(dir, "f.yaml~"), importYaml("f", "10.42.0.6"));
    const { sink, log } = await start(dir);
    assert.deepEqual(sink.names("ServiceImport"), ["demo/a", "demo/b", "demo/c"]);
    assert.equal((log.at("info")[0]?.obj as { files: number }).files, 3);
  });

  it("ignores kinds it does not serve, and our kind names from other API groups", async () => {
    const path = join(dir, "mixed.yaml");
    await writeFile(
      path,
      [
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: demo\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        importYaml("other", "10.42.0.9", "net.gke.io/v1"),
        importYaml("mine", "10.42.0.1"),
      ].join("---\n"),
    );
    const { sink, log } = await start(path);
    assert.deepEqual(sink.names("ServiceImport"), ["demo/mine"]);
    assert.deepEqual(sink.rejects, []);
    assert.equal((log.at("info")[0]?.obj as { ignored: number }).ignored, 3);
  });

  it("rejects invalid objects through the sink and loads the rest", async () => {
    const path = join(dir, "bad.yaml");
    await writeFile(
      path,
      [
        sliceYaml("bad-cluster", "a", "Not_A_Label", ["10.1.0.1"]),
        importYaml("a", "10.42.0.1").replace(
          "- name: http",
          "- name: bad_name\n    port: 81\n  - name: http",
        ),
        sliceYaml("good", "a", "west", ["10.2.0.1"]),
      ].join("---\n"),
    );
    const { sink } = await start(path);
    assert.deepEqual(
      sink.rejects.map((p) => [p.kind, p.namespace, p.name, p.path, p.objectSkipped]),
      [
        [
          "EndpointSlice",
          "demo",
          "bad-cluster",
          'metadata.labels["multicluster.kubernetes.io/source-cluster"]',
          true,
        ],
        ["ServiceImport", "demo", "a", "spec.ports[0].name", false],
      ],
    );
    assert.deepEqual(sink.names("EndpointSlice"), ["demo/good"]);
    assert.deepEqual(sink.imports[0]?.ports, [{ name: "http", protocol: "TCP", port: 80 }]);
    // Rejects are reported in the same tick as the replace that goes with them.
    assert.equal(new Set(sink.calls.map((c) => c.batch)).size, 1);
  });

  it("keeps the last of duplicate objects and warns", async () => {
    await writeFile(join(dir, "1.yaml"), importYaml("a", "10.42.0.1"));
    await writeFile(join(dir, "2.yaml"), importYaml("a", "10.42.0.2"));
    const { sink, log } = await start(dir);
    assert.deepEqual(
      sink.imports.map((i) => i.ips),
      [["10.42.0.2"]],
    );
    assert.deepEqual(
      log.at("warn").map((l) => [l.msg, l.obj]),
      [
        [
          "file source: duplicate object, the last one wins",
          { object: "ServiceImport/demo/a", files: [join(dir, "1.yaml"), join(dir, "2.yaml")] },
        ],
      ],
    );
  });

  it("re-reads a file written in place and a file replaced by rename", async () => {
    const path = join(dir, "set.yaml");
    await writeFile(path, importYaml("a", "10.42.0.1"));
    const { sink, log } = await start(path);
    assert.deepEqual(sink.names("ServiceImport"), ["demo/a"]);

    await writeFile(path, importYaml("b", "10.42.0.2"));
    await waitFor("b to be served", () => sink.names("ServiceImport").join() === "demo/b");

    // How editors save: write a temporary file, rename it over the original.
    const temporary = join(dir, ".set.yaml.tmp");
    await writeFile(
      temporary,
      importYaml("c", "10.42.0.3") + "---\n" + importYaml("d", "10.42.0.4"),
    );
    await rename(temporary, path);
    await waitFor("c and d", () => sink.names("ServiceImport").join() === "demo/c,demo/d");

    const tail = sink.calls.slice(-4);
    assert.deepEqual(
      tail.map((c) => c.call),
      ["replace ServiceImport", "replace EndpointSlice", "replace ClusterProperty", "synced"],
    );
    assert.equal(new Set(tail.map((c) => c.batch)).size, 1);
    assert.ok(log.at("info").some((l) => l.msg === "file source reloaded"));
    assert.deepEqual(log.at("error"), []);
  });

  it("re-reads a file renamed into place at once, and waits for quiet after a write in place", async () => {
    // A long quiet time, so "at once" and "after the quiet time" cannot be confused.
    const quietMs = 1500;
    const path = join(dir, "set.yaml");
    await writeFile(path, importYaml("a", "10.42.0.1"));
    const { sink } = await start(path, undefined, undefined, undefined, quietMs);

    const temporary = join(dir, ".set.yaml.tmp");
    await writeFile(temporary, importYaml("b", "10.42.0.2"));
    const renamedAt = Date.now();
    await rename(temporary, path);
    await waitFor("b", () => sink.names("ServiceImport").join() === "demo/b");
    assert.ok(
      Date.now() - renamedAt < quietMs / 2,
      `rename seen after ${Date.now() - renamedAt} ms`,
    );

    // Written in place (it could be half-written when read): not before the quiet time.
    const writtenAt = Date.now();
    await writeFile(path, importYaml("c", "10.42.0.3"));
    await waitFor("c", () => sink.names("ServiceImport").join() === "demo/c", quietMs * 4);
    assert.ok(Date.now() - writtenAt >= quietMs, `write seen after ${Date.now() - writtenAt} ms`);
  });

  it("follows a mounted ConfigMap's swap of its ..data link at once", async () => {
    // The kubelet's layout: <key> -> ..data/<key>, ..data -> ..<timestamp>/, swapped by rename.
    await mkdir(join(dir, "..2026_01"));
    await writeFile(join(dir, "..2026_01", "set.yaml"), importYaml("a", "10.42.0.1"));
    await symlink("..2026_01", join(dir, "..data"));
    await symlink(join("..data", "set.yaml"), join(dir, "set.yaml"));
    const { sink } = await start(dir, undefined, undefined, undefined, 1500);
    assert.deepEqual(sink.names("ServiceImport"), ["demo/a"]);

    await mkdir(join(dir, "..2026_02"));
    await writeFile(join(dir, "..2026_02", "set.yaml"), importYaml("b", "10.42.0.2"));
    await symlink("..2026_02", join(dir, "..data_tmp"));
    const swappedAt = Date.now();
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    await waitFor("b", () => sink.names("ServiceImport").join() === "demo/b");
    assert.ok(Date.now() - swappedAt < 750, `swap seen after ${Date.now() - swappedAt} ms`);
  });

  it("follows files appearing in and leaving a folder", async () => {
    await writeFile(join(dir, "a.yaml"), importYaml("a", "10.42.0.1"));
    const { sink } = await start(dir);
    await writeFile(join(dir, "b.yaml"), importYaml("b", "10.42.0.2"));
    await waitFor("b", () => sink.names("ServiceImport").join() === "demo/a,demo/b");
    await unlink(join(dir, "a.yaml"));
    await waitFor("a gone", () => sink.names("ServiceImport").join() === "demo/b");
  });

  it("keeps the last good data when a re-read fails, logs why, and recovers", async () => {
    const path = join(dir, "set.yaml");
    await writeFile(path, importYaml("a", "10.42.0.1"));
    const { source, sink, log } = await start(path);
    const replacesBefore = sink.replaceCount;

    await writeFile(
      path,
      importYaml("a", "10.42.0.1") + "---\nkind: ServiceImport\nspec: [unclosed\n",
    );
    await waitFor("an error line", () => log.at("error").length > 0);
    assert.equal(sink.replaceCount, replacesBefore);
    assert.deepEqual(sink.names("ServiceImport"), ["demo/a"]);
    const [error] = log.at("error");
    assert.match(
      error?.msg ?? "",
      new RegExp(
        `^file source: re-read failed, keeping the last good data: ${path}: document 2, line \\d+ column \\d+: `,
      ),
    );
    assert.deepEqual((error?.obj as { errorCount: number }).errorCount, 1);

    // The same broken content read again is not reported again.
    await source.reload();
    assert.equal(log.at("error").length, 1);

    // A file that disappears is a failed re-read too.
    await unlink(path);
    await source.reload();
    assert.equal(log.at("error").length, 2);
    assert.match(
      log.at("error")[1]?.msg ?? "",
      /: set\.yaml: does not exist$|set\.yaml: does not exist/,
    );
    assert.deepEqual(sink.names("ServiceImport"), ["demo/a"]);

    await writeFile(path, importYaml("b", "10.42.0.2"));
    await waitFor("recovery", () => sink.names("ServiceImport").join() === "demo/b");
  });

  it("does not touch the sink when a re-read finds the same content", async () => {
    const path = join(dir, "set.yaml");
    await writeFile(path, importYaml("a", "10.42.0.1"));
    const { source, sink } = await start(path);
    const calls = sink.calls.length;
    await writeFile(path, importYaml("a", "10.42.0.1"));
    await source.reload();
    await sleep(100);
    assert.equal(sink.calls.length, calls);
  });

  it("stops re-reading once closed", async () => {
    const path = join(dir, "set.yaml");
    await writeFile(path, importYaml("a", "10.42.0.1"));
    const { source, sink } = await start(path);
    source.close();
    const calls = sink.calls.length;
    await writeFile(path, importYaml("b", "10.42.0.2"));
    await sleep(200);
    await source.reload();
    assert.equal(sink.calls.length, calls);
  });

  it("fails to start, with one line that says why, when the file is missing or broken", async () => {
    const missing = join(dir, "missing.yaml");
    await assert.rejects(start(missing), {
      message: `file source: ${missing}: does not exist`,
    });
    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "kind: A\n---\nkind: B\n  x: 1\n");
    await assert.rejects(start(broken), {
      message: `file source: ${broken}: document 2, line 3 column 7: Nested mappings are not allowed in compact mappings`,
    });
  });

  it("serves the demo ClusterSet in examples/ without a single problem", async () => {
    const example = new URL("../../../examples/clusterset.yaml", import.meta.url);
    const { sink, log } = await start(example.pathname);
    assert.deepEqual(sink.rejects, []);
    assert.deepEqual(log.at("warn"), []);
    assert.deepEqual(sink.names("ServiceImport"), [
      "demo/myservice",
      "demo/dualstack",
      "demo/db",
      "demo/web",
    ]);
    assert.deepEqual(
      sink.imports.map((i) => [
        i.name,
        i.type,
        i.ips,
        i.ports.map((p) => `${p.name}/${p.protocol}/${p.port}`),
      ]),
      [
        [
          "myservice",
          "ClusterSetIP",
          ["10.42.0.10"],
          ["http/TCP/80", "dns/UDP/53", "dns-tcp/TCP/53"],
        ],
        ["dualstack", "ClusterSetIP", ["10.42.0.11", "fd00:42::11"], ["https/TCP/443"]],
        ["db", "Headless", [], ["postgres/TCP/5432"]],
        ["web", "Headless", [], ["http/TCP/80"]],
      ],
    );
    assert.deepEqual(
      sink.slices.map((s) => [
        s.serviceName,
        s.clusterId,
        s.addressType,
        s.endpoints.map(
          (e) => `${e.hostname ?? ""}@${e.addresses.join("+")}${e.ready ? "" : "(not ready)"}`,
        ),
      ]),
      [
        ["myservice", "east", "IPv4", ["@10.1.2.10", "@10.1.2.11"]],
        ["myservice", "west", "IPv4", ["@10.2.2.10"]],
        ["dualstack", "east", "IPv4", ["@10.1.3.20"]],
        ["dualstack", "east", "IPv6", ["@fd00:10:1:3::20"]],
        ["dualstack", "edge.eu", "IPv4", ["@10.3.3.20"]],
        ["db", "east", "IPv4", ["db-0@10.1.4.10", "db-1@10.1.4.11"]],
        ["db", "west", "IPv4", ["db-2@10.2.4.10"]],
        ["web", "east", "IPv4", ["@10.1.5.10", "@10.1.5.11", "@10.1.5.12(not ready)"]],
        ["web", "edge.eu", "IPv4", ["@10.3.5.10"]],
        ["web", "edge.eu", "IPv6", ["@fd00:10:244::5"]],
      ],
    );
    assert.deepEqual(sink.current.get("ClusterProperty"), [
      { kind: "ClusterProperty", namespace: "", name: "cluster.clusterset.k8s.io", value: "east" },
    ]);
  });
});

describe("file source re-reads what changed", () => {
  /** The work the last re-read reported: files read, documents and List items parsed. */
  function lastReload(log: RecordingLog): { filesRead: number; unitsParsed: number } {
    const line = log.at("info").findLast((l) => l.msg === "file source reloaded");
    assert.ok(line, "no reload logged");
    const { filesRead, unitsParsed } = line.obj as { filesRead: number; unitsParsed: number };
    return { filesRead, unitsParsed };
  }

  /** Files written now are not settled yet; a few ms later (with settleMs 0) they are. */
  const settle = (): Promise<void> => sleep(10);

  it("a reload gives what a fresh start on the same folder gives, duplicates too (property)", async () => {
    // Three files drawing names from a pool of four, so the same object often sits in two
    // files; edits change addresses (the same keys: the reuse path), drop or add objects, or
    // leave a file unchanged. After each reload the sink must hold exactly what a new source
    // reading the folder from scratch gives, in the same order.
    const document = fc.record({
      name: fc.constantFrom("a", "b", "c", "d"),
      octet: fc.integer({ min: 1, max: 250 }),
      invalid: fc.boolean(),
    });
    const folderState = fc.array(fc.array(document, { maxLength: 4 }), {
      minLength: 3,
      maxLength: 3,
    });
    type Doc = { name: string; octet: number; invalid: boolean };
    const render = (docs: Doc[]): string =>
      docs
        .map(({ name, octet, invalid }) =>
          importYaml(name, invalid ? "10.42.0" : `10.42.0.${octet}`),
        )
        .join("---\n");
    const seen = (sink: RecordingSink): string[] =>
      sink.imports.map((i) => `${i.name}=${i.ips.join()}`);
    const warnings = (lines: readonly LogLine[]): string[] =>
      lines.filter((l) => l.level === "warn").map((l) => `${l.msg} ${JSON.stringify(l.obj)}`);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        folderState,
        fc.array(
          fc.record({ keep: fc.constantFrom("names", "counts", "nothing"), state: folderState }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (first, edits) => {
          const folder = join(dir, `run-${run++}`);
          await mkdir(folder);
          const write = (state: Doc[][]): Promise<void[]> =>
            Promise.all(state.map((docs, i) => writeFile(join(folder, `${i}.yaml`), render(docs))));
          await write(first);
          const { source, sink, log } = await start(folder, undefined, undefined, 0);
          let current: Doc[][] = first;
          for (const { keep, state } of edits) {
            // Keep every file's names and move addresses (the usual edit), or keep how many
            // documents each file has and draw new names, or replace everything.
            const pick = (i: number, j: number): Doc | undefined => state[i]?.[j];
            if (keep === "names")
              current = current.map((docs, i) =>
                docs.map((doc, j) => ({ ...doc, octet: pick(i, j)?.octet ?? doc.octet })),
              );
            else if (keep === "counts")
              current = current.map((docs, i) =>
                docs.map((doc, j) => ({ ...doc, name: pick(i, j)?.name ?? doc.name })),
              );
            else current = state;
            await write(current);
            const linesBefore = log.lines.length;
            await source.reload();
            const fresh = await start(folder, undefined, new RecordingLog(), 0);
            assert.deepEqual(seen(sink), seen(fresh.sink));
            // The same duplicate warnings, when the reload found a change to load.
            const reloadLines = log.lines.slice(linesBefore);
            if (reloadLines.some((l) => l.msg === "file source reloaded"))
              assert.deepEqual(warnings(reloadLines), warnings(fresh.log.lines));
            fresh.source.close();
          }
          source.close();
        },
      ),
      { numRuns: 80 },
    );
  });

  it("parses only the List item that changed and hands the sink the same objects for the rest", async () => {
    const path = join(dir, "list.json");
    const items = Array.from({ length: 20 }, (_, i) => importJson(`svc-${i}`, `10.42.0.${i}`));
    await writeFile(path, kubectlList(items));
    const { source, sink, log } = await start(path);
    const before = sink.imports;

    items[7] = importJson("svc-7", "10.42.1.7");
    await writeFile(path, kubectlList(items));
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 1, unitsParsed: 1 });
    const after = sink.imports;
    assert.deepEqual(after[7]?.ips, ["10.42.1.7"]);
    for (let i = 0; i < 20; i++) if (i !== 7) assert.equal(after[i], before[i]);
  });

  it("re-reads only the file that changed in a folder", async () => {
    for (const name of ["a", "b", "c"])
      await writeFile(join(dir, `${name}.yaml`), importYaml(name, "10.42.0.1"));
    await settle();
    const { source, sink, log } = await start(dir, undefined, undefined, 0);

    await writeFile(join(dir, "b.yaml"), importYaml("b", "10.42.0.2"));
    await settle();
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 1, unitsParsed: 1 });
    assert.deepEqual(
      sink.imports.map((i) => [i.name, i.ips[0]]),
      [
        ["a", "10.42.0.1"],
        ["b", "10.42.0.2"],
        ["c", "10.42.0.1"],
      ],
    );

    // Touched but not changed: read once more to see that (the sink hears nothing), and then
    // known by its new times.
    const calls = sink.calls.length;
    const now = new Date();
    await utimes(join(dir, "a.yaml"), now, now);
    await settle();
    await source.reload();
    assert.equal(sink.calls.length, calls);
    await writeFile(join(dir, "c.yaml"), importYaml("c", "10.42.0.3"));
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 1, unitsParsed: 1 });

    // A file that appears is read; one that goes is gone.
    await writeFile(join(dir, "d.yaml"), importYaml("d", "10.42.0.4"));
    await unlink(join(dir, "a.yaml"));
    await settle();
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 1, unitsParsed: 1 });
    assert.deepEqual(sink.names("ServiceImport"), ["demo/b", "demo/c", "demo/d"]);
  });

  it("reads a file again while its last change is too recent for its times to vouch for it", async () => {
    for (const name of ["a", "b"])
      await writeFile(join(dir, `${name}.yaml`), importYaml(name, "10.42.0.1"));
    // The default settleMs (2 s): a write in the same clock tick as our look could hide.
    const { source, log } = await start(dir);
    await writeFile(join(dir, "b.yaml"), importYaml("b", "10.42.0.2"));
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 2, unitsParsed: 1 });
  });

  it("looks once more when the files have settled, so the first edit reads only its file", async () => {
    for (const name of ["a", "b"])
      await writeFile(join(dir, `${name}.yaml`), importYaml(name, "10.42.0.1"));
    const settleMs = 300;
    const { source, log } = await start(dir, undefined, undefined, settleMs);
    // Written just now: their times cannot vouch for them yet. After settleMs they can.
    await sleep(settleMs + 400);
    await writeFile(join(dir, "b.yaml"), importYaml("b", "10.42.0.2"));
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 1, unitsParsed: 1 });
  });

  it("still knows the last good version's items after a failed re-read", async () => {
    const path = join(dir, "list.json");
    const items = Array.from({ length: 10 }, (_, i) => importJson(`svc-${i}`, `10.42.0.${i}`));
    const text = kubectlList(items);
    await writeFile(path, text);
    const { source, sink, log } = await start(path);
    const replaces = sink.replaceCount;

    await writeFile(path, text.slice(0, text.length / 2));
    await source.reload();
    assert.equal(log.at("error").length, 1);
    assert.equal(sink.replaceCount, replaces);

    items[3] = importJson("svc-3", "10.42.1.3");
    await writeFile(path, kubectlList(items));
    await source.reload();
    assert.deepEqual(lastReload(log), { filesRead: 1, unitsParsed: 1 });
    assert.deepEqual(sink.imports[3]?.ips, ["10.42.1.3"]);
  });

  it("reports a changed item's problems, and an unchanged item's again, on every load", async () => {
    const path = join(dir, "list.json");
    const bad = { ...importJson("bad", "10.42.0.1"), spec: { type: "Nonsense" } };
    const items = [bad, importJson("good", "10.42.0.2")];
    await writeFile(path, kubectlList(items));
    const { source, sink } = await start(path);
    assert.equal(sink.rejects.length, 1);

    items[1] = importJson("good", "10.42.0.3");
    await writeFile(path, kubectlList(items));
    await source.reload();
    assert.deepEqual(
      sink.rejects.map((p) => [p.name, p.objectSkipped]),
      [
        ["bad", true],
        ["bad", true],
      ],
    );
    assert.deepEqual(sink.names("ServiceImport"), ["demo/good"]);
  });
});

// ---------------------------------------------------------------------------------------
// Scale: 10,000 ServiceImports × 3 EndpointSlices × 10 endpoints (about 30 MB of YAML)

describe("file source at scale", function () {
  this.timeout(180_000);
  const SERVICES = 10_000;

  function bigYaml(): string {
    const parts: string[] = [];
    for (let s = 0; s < SERVICES; s++) {
      const ip = `10.${100 + (s >> 16)}.${(s >> 8) & 255}.${s & 255}`;
      parts.push(importYaml(`svc-${s}`, ip, undefined, "scale"));
      for (const cluster of ["east", "west", "edge.eu"]) {
        const addresses = Array.from(
          { length: 10 },
          (_, e) => `10.${cluster.length}.${s & 255}.${e + 1}`,
        );
        parts.push(
          sliceYaml(`svc-${s}-${cluster}`, `svc-${s}`, cluster, addresses)
            .replace("namespace: demo", "namespace: scale")
            .replace(
              "  labels:\n",
              "  labels:\n    endpointslice.kubernetes.io/managed-by: mcs-controller.example\n",
            ),
        );
      }
    }
    return parts.join("---\n");
  }

  async function timedLoad(
    path: string,
  ): Promise<{ ms: number; sink: RecordingSink; maxStallMs: number }> {
    // How long the event loop stalls while loading: DNS answers wait that long.
    let last = performance.now();
    let maxStallMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxStallMs = Math.max(maxStallMs, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const { sink } = await start(path);
    const ms = performance.now() - started;
    clearInterval(ticker);
    return { ms, sink, maxStallMs };
  }

  it("loads 30 MB of YAML in seconds", async () => {
    const path = join(dir, "big.yaml");
    const text = bigYaml();
    await writeFile(path, text);
    const { ms, sink, maxStallMs } = await timedLoad(path);
    console.log(
      `      ${(text.length / 1e6).toFixed(1)} MB YAML loaded in ${Math.round(ms)} ms (longest event-loop stall ${Math.round(maxStallMs)} ms)`,
    );
    assert.ok(text.length > 25e6, `generated only ${text.length} bytes`);
    assert.equal(sink.imports.length, SERVICES);
    assert.equal(sink.slices.length, 3 * SERVICES);
    assert.equal(sink.slices[29_999]?.endpoints.length, 10);
    assert.deepEqual(sink.rejects, []);
    assert.ok(ms < 30_000, `took ${ms} ms`);
  });

  it("loads the same objects as a kubectl JSON List in seconds", async () => {
    const items = parseManifestText(bigYaml(), "big.yaml").objects;
    const path = join(dir, "big.json");
    const text = JSON.stringify(
      { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } },
      null,
      1,
    );
    await writeFile(path, text);
    const { ms, sink, maxStallMs } = await timedLoad(path);
    console.log(
      `      ${(text.length / 1e6).toFixed(1)} MB JSON loaded in ${Math.round(ms)} ms (longest event-loop stall ${Math.round(maxStallMs)} ms)`,
    );
    assert.equal(sink.imports.length, SERVICES);
    assert.equal(sink.slices.length, 3 * SERVICES);
    assert.deepEqual(sink.rejects, []);
    assert.ok(ms < 30_000, `took ${ms} ms`);
  });
});
