import { join } from "node:path";
import { build } from "esbuild";
import { BUNDLE, REPO_ROOT } from "../infra/functions.js";
const entry = process.argv[2]!; const pat = process.argv[3]!;
const result = await build({ entryPoints: [join(REPO_ROOT, entry)], outfile: "index.mjs", bundle: true, minify: true, write: false, metafile: true, format: "esm", platform: "node", target: BUNDLE.target, external: [...BUNDLE.externals], mainFields: [...BUNDLE.mainFields], logLevel: "error" });
const out = Object.values(result.metafile.outputs)[0]!;
for (const [f, { bytesInOutput }] of Object.entries(out.inputs).filter(([f]) => f.includes(pat)).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).slice(0,25)) console.log((bytesInOutput/1024).toFixed(1).padStart(7), f);
// who imports pat from src
for (const [f, inp] of Object.entries(result.metafile.inputs)) if (!f.includes("node_modules")) for (const i of inp.imports) if (i.path.includes(pat)) console.log("  ", f, "->", i.path);
