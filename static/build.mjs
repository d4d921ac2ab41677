// Copies the front-end packages installed from npm into static/vendor (not committed).
import { copyFileSync, mkdirSync } from "node:fs";

const files = {
  "node_modules/htmx.org/dist/htmx.min.js": "static/vendor/htmx.min.js",
  "node_modules/htmx-ext-ws/dist/ws.js": "static/vendor/ws.js",
};
mkdirSync("static/vendor", { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(from, to);
  console.log(`${from} -> ${to}`);
}
