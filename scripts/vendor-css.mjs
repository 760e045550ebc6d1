// Copies the parts of Designsystemet (and the Inter font its theme names) that
// the portal uses from node_modules/ into static/vendor/, so that running the
// portal needs no Node. Run `npm ci && npm run vendor-css` (or `make
// vendor-css`) after changing a version in package.json, and commit the result.
// `--check` writes nothing and fails when static/vendor/ differs from what this
// script would write (the committed files are stale or edited by hand).
//
// Plain Node, no dependencies: the work is splitting and joining CSS files
// that upstream has already built and minified.

import { readFileSync, writeFileSync, readdirSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MODULES = join(ROOT, "node_modules");
const CSS_PKG = join(MODULES, "@digdir/designsystemet-css");
const THEME_PKG = join(MODULES, "@digdir/designsystemet-theme");
const FONT_PKG = join(MODULES, "@fontsource-variable/inter");
const DS_OUT = join(ROOT, "static/vendor/designsystemet");
const FONT_OUT = join(ROOT, "static/vendor/inter");

// Components of @digdir/designsystemet-css that our pages use. Everything
// else (dialogs, popovers, tabs, search, suggestion, avatars, ...) is left
// out; add a name here when a template starts using that component.
const COMPONENTS = [
  "base", // ds-sr-only, focus helpers, body text; must stay
  "heading",
  "label",
  "paragraph",
  "link",
  "validation-message",
  "data-size-workaround",
  "button",
  "input",
  "field",
  "fieldset",
  "alert",
  "skip-link",
  "details",
  "list",
  "card",
  "divider",
  "tag",
  "error-summary",
  "table",
  "breadcrumbs",
];

// Subsets of Inter shipped: latin covers Norwegian (æ, ø, å) and English;
// latin-ext (names such as Sámi or Polish ones) is fetched by the browser only
// when a page contains such a letter (unicode-range).
const FONT_SUBSETS = ["latin-ext", "latin"];

const check = process.argv.includes("--check");
const written = [];
const stale = [];

function read(path) {
  return readFileSync(path, "utf8");
}

function version(pkgDir) {
  return JSON.parse(read(join(pkgDir, "package.json"))).version;
}

function output(path, content) {
  written.push(path);
  const same = existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(content)) === 0;
  if (check) {
    if (!same) stale.push(path);
    return;
  }
  if (!same) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

// --- Components ---------------------------------------------------------------

// dist/src/index.css is every component file, each wrapped in
// `@layer ds.base{...}` or `@layer ds.components{...}`, in the order the
// cascade needs. Each file is found in it to learn its layer and its place;
// then only the chosen ones are wrapped the same way.
function buildComponents() {
  const src = join(CSS_PKG, "dist/src");
  const index = read(join(src, "index.css"));
  const header = index.slice(0, index.indexOf(";") + 1);
  if (!/^@layer ds\.theme, ?ds\.base, ?ds\.components;$/.test(header)) {
    throw new Error(`index.css starts with an unexpected layer order: ${header}`);
  }
  const located = [];
  for (const name of COMPONENTS) {
    const file = join(src, `${name}.css`);
    if (!existsSync(file)) throw new Error(`${name}.css is not in the package any more`);
    const css = read(file).trim();
    const at = index.indexOf(css.slice(0, 80));
    if (at < 0) throw new Error(`${name}.css is not part of index.css`);
    const before = index.slice(0, at);
    const layer = before.slice(before.lastIndexOf("@layer ")).match(/^@layer ([\w.]+)\{/);
    if (!layer) throw new Error(`cannot tell the layer of ${name}.css`);
    located.push({ name, at, layer: layer[1], css });
  }
  located.sort((a, b) => a.at - b.at);
  const body = located.map(({ layer, css }) => `@layer ${layer}{${css}}`).join("\n");
  const banner =
    `/*! @digdir/designsystemet-css ${version(CSS_PKG)} (MIT, see LICENSE-designsystemet-css.txt)\n` +
    `   Components: ${located.map((c) => c.name).join(", ")}.\n` +
    `   Built by scripts/vendor-css.mjs; do not edit. */\n`;
  output(join(DS_OUT, "designsystemet.css"), `${banner}${header}\n${body}\n`);
  return located.map((c) => c.name);
}

// --- Theme --------------------------------------------------------------------

// Removes one top-level `@layer <name> { ... }` block (braces balanced; the
// theme has no braces inside strings).
function dropLayer(css, name) {
  const start = css.indexOf(`@layer ${name} {`);
  if (start < 0) throw new Error(`the theme has no layer ${name}`);
  let depth = 0;
  for (let i = css.indexOf("{", start); i < css.length; i++) {
    if (css[i] === "{") depth++;
    else if (css[i] === "}" && --depth === 0) return css.slice(0, start) + css.slice(i + 1);
  }
  throw new Error(`unbalanced braces in layer ${name}`);
}

// Whitespace and comments only: the theme is custom properties in a few rules.
function minify(css) {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{};,])\s*/g, "$1")
    .replace(/([\w-]):\s+/g, "$1:")
    .replace(/;}/g, "}")
    .trim();
}

function fontFaces() {
  const faces = read(join(FONT_PKG, "wght.css"));
  return FONT_SUBSETS.map((subset) => {
    const rule = faces.match(
      new RegExp(`/\\* inter-${subset}-wght-normal \\*/\\s*(@font-face \\{[^}]*\\})`),
    );
    if (!rule) throw new Error(`@fontsource-variable/inter has no ${subset} subset`);
    // The theme asks for "Inter"; the files are referenced from our folder.
    return rule[1]
      .replace(/font-family: '[^']*'/, "font-family: Inter")
      .replace(/url\(\.\/files\//, "url(../inter/");
  }).join("\n");
}

function buildTheme() {
  // The default theme of the theme package; only its light colour scheme is
  // kept (the pages set no data-color-scheme, so :root gets the light one).
  let css = read(join(THEME_PKG, "src/themes/designsystemet.css"));
  css = css.replace(/^@charset "UTF-8";\s*/, "");
  css = dropLayer(css, "ds.theme.color-scheme.dark");
  const banner =
    `/*! @digdir/designsystemet-theme ${version(THEME_PKG)}, default theme, light colour scheme ` +
    `(MIT, see LICENSE-designsystemet-theme.txt);\n` +
    `   Inter from @fontsource-variable/inter ${version(FONT_PKG)} (OFL-1.1, see ../inter/LICENSE.txt).\n` +
    `   Built by scripts/vendor-css.mjs; do not edit. */\n`;
  output(join(DS_OUT, "theme.css"), `${banner}${minify(fontFaces())}\n${minify(css)}\n`);
}

// --- Fonts and licences -----------------------------------------------------------

function copyFiles() {
  for (const subset of FONT_SUBSETS) {
    const name = `inter-${subset}-wght-normal.woff2`;
    output(join(FONT_OUT, name), readFileSync(join(FONT_PKG, "files", name)));
  }
  output(join(FONT_OUT, "LICENSE.txt"), read(join(FONT_PKG, "LICENSE")));
  output(join(DS_OUT, "LICENSE-designsystemet-css.txt"), read(join(CSS_PKG, "LICENSE")));
  output(join(DS_OUT, "LICENSE-designsystemet-theme.txt"), read(join(THEME_PKG, "LICENSE")));
}

function readme(components) {
  const text = `# Designsystemet, vendored

Built from node_modules by \`scripts/vendor-css.mjs\` (\`make vendor-css\`); do
not edit these files by hand. Versions are pinned in \`package.json\` and
\`package-lock.json\`.

| file | from | version | licence |
|---|---|---|---|
| \`designsystemet.css\` | \`@digdir/designsystemet-css\` (\`dist/src/<component>.css\`, in the layers and order of its \`index.css\`) | ${version(CSS_PKG)} | MIT, \`LICENSE-designsystemet-css.txt\` |
| \`theme.css\` | \`@digdir/designsystemet-theme\` (\`src/themes/designsystemet.css\`, the default theme, light colour scheme only, minified) and the \`@font-face\` rules of Inter | ${version(THEME_PKG)} | MIT, \`LICENSE-designsystemet-theme.txt\` |
| \`../inter/*.woff2\` | \`@fontsource-variable/inter\` (variable weight, normal style; subsets ${FONT_SUBSETS.join(", ")}) | ${version(FONT_PKG)} | SIL OFL 1.1, \`../inter/LICENSE.txt\` |

Components included: ${components.join(", ")}. To use another component, add
its name to \`COMPONENTS\` in the script and rebuild.

Load order in a page: \`theme.css\`, then \`designsystemet.css\`, then our own
\`css/public.css\`. Everything of Designsystemet sits in the CSS layers
\`ds.theme\`, \`ds.base\` and \`ds.components\`; our own rules are unlayered and
therefore win without \`!important\`.

The theme names the font \`Inter\` without a fallback; \`css/public.css\` sets
\`--ds-font-family\` to Inter followed by a system font stack. No file here is
fetched from another origin (CSP \`default-src 'self'\`).

\`@digdir/designsystemet-theme\` says in its README that it is deprecated in
favour of \`@digdir/designsystemet-css/theme\` (or a theme of one's own from the
theme builder). Both define every \`--ds-*\` property the components use; the
theme package is kept as issue 18 asks. Switching means pointing \`buildTheme\`
at \`@digdir/designsystemet-css/dist/theme/designsystemet.css\`, whose file is
already minified.
`;
  output(join(DS_OUT, "README.md"), text);
}

const components = buildComponents();
buildTheme();
copyFiles();
readme(components);

if (check) {
  if (stale.length) {
    console.error(`static/vendor is out of date; run \`make vendor-css\`:\n  ${stale.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`static/vendor is up to date (${written.length} files).`);
} else {
  for (const path of written) console.log(`  ${path.slice(ROOT.length + 1)}`);
}
