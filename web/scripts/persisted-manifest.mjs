// Writes dist/persisted-manifest.json, {sha256: document} for every GraphQL
// document the board sends (the exported strings of src/*queries.ts): the
// allow-list a server started with TASKBOARD_PERSISTED_ONLY=1 runs, and nothing else.
// Run after `vite build` (which empties dist/); an argument writes elsewhere.

import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import ts from "typescript";

const root = new URL("..", import.meta.url);
const OPERATION = /^\s*(query|mutation|subscription)\b/;

const manifest = {};
const files = (await readdir(new URL("src/", root))).filter((f) => f.endsWith("queries.ts")).sort();
for (const file of files) {
  const source = await readFile(new URL(`src/${file}`, root), "utf8");
  if (/^\s*import\s/m.test(source)) {
    // Evaluated on its own below: a document built from another module would be missed.
    throw new Error(`src/${file} imports another module; keep the documents' files self-contained`);
  }
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exported = await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`);
  for (const value of Object.values(exported)) {
    if (typeof value === "string" && OPERATION.test(value)) {
      manifest[createHash("sha256").update(value, "utf8").digest("hex")] = value;
    }
  }
}
const out = process.argv[2] ?? new URL("dist/persisted-manifest.json", root);
await writeFile(out, JSON.stringify(manifest, null, 1) + "\n");
console.log(`${out}: ${Object.keys(manifest).length} documents from ${files.join(", ")}`);
