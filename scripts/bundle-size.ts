/**
 * Bundles each Lambda entry point exactly as the stack does (esbuild, ESM, minified, AWS SDK
 * external) and prints its size, gzipped size and largest packages. Fails when a bundle is
 * over the budget. `npm run bundle-size`
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import {
  BUNDLE,
  BUNDLE_BUDGET_BYTES,
  FUNCTION_IDS,
  FUNCTIONS,
  REPO_ROOT,
} from "../infra/functions.js";

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Output bytes per package (or per top-level folder of our own code). */
function largest(metafile: Metafile, count: number): string {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
        file.split("/").slice(0, 2).join("/");
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${kb(bytes)}`)
    .join(", ");
}

let over = 0;
console.log(`budget ${kb(BUNDLE_BUDGET_BYTES)} per minified bundle\n`);
for (const id of FUNCTION_IDS) {
  const { entry } = FUNCTIONS[id];
  const result = await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile: "index.mjs",
    bundle: true,
    minify: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    target: BUNDLE.target,
    external: [...BUNDLE.externals],
    mainFields: [...BUNDLE.mainFields],
    banner: { js: BUNDLE.banner },
    alias: { ...BUNDLE.alias },
    absWorkingDir: REPO_ROOT,
    logLevel: "error",
  });
  const code =
    result.outputFiles.find((f) => f.path.endsWith(".mjs"))?.contents ?? new Uint8Array();
  const fits = code.byteLength <= BUNDLE_BUDGET_BYTES;
  if (!fits) over++;
  console.log(
    `${fits ? "ok  " : "OVER"} ${entry.padEnd(26)} ${kb(code.byteLength).padStart(9)}  (gzip ${kb(gzipSync(code).byteLength)})`,
  );
  console.log(`     largest: ${largest(result.metafile, 4)}`);
}
if (over > 0) {
  console.error(`\n${over} bundle(s) over the ${kb(BUNDLE_BUDGET_BYTES)} budget`);
  process.exitCode = 1;
}
