// Front-end packages installed from npm go into static/vendor (not committed): htmx files are
// copied; static/coedit.js is bundled with Yjs by esbuild (a devDependency: `npm ci` installs it).
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const files = {
  "node_modules/htmx.org/dist/htmx.min.js": "static/vendor/htmx.min.js",
  "node_modules/htmx-ext-ws/dist/ws.js": "static/vendor/ws.js",
  // Annotorious draws, moves and resizes the boxes and polygons (static/shapes.js drives it).
  "node_modules/@annotorious/annotorious/dist/annotorious.js": "static/vendor/annotorious.js",
  "node_modules/@annotorious/annotorious/dist/annotorious.css": "static/vendor/annotorious.css",
};
mkdirSync("static/vendor", { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(from, to);
  console.log(`${from} -> ${to}`);
}
await build({
  entryPoints: ["static/coedit.js"], outfile: "static/vendor/coedit.js", bundle: true, minify: true,
  format: "iife", target: ["es2020"], legalComments: "none", logLevel: "warning",
});
console.log("static/coedit.js + yjs -> static/vendor/coedit.js");
