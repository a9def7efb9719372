// Build the files nginx serves for the API's documentation (see openapi/build.sh):
//   <out>/openapi.json      openapi.yaml as JSON (GET /api/openapi.json, GET /api/docs/openapi.json)
//   <out>/index.html        the docs page (GET /api/docs/): Swagger UI, offline
//   <out>/docs.js, docs.css its start-up script and styles (no inline script: the page's CSP forbids it)
//   <out>/swagger-ui*.{js,css}, favicons, licences   copied from the swagger-ui-dist npm package
// Usage: node build.mjs [OUT_DIR]   (default: ../static/dist/api-docs)
// The directory is built beside OUT_DIR and renamed into place, so nginx never serves half of it.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const out = path.resolve(process.argv[2] ?? path.join(here, '..', 'static', 'dist', 'api-docs'));

function die(msg) {
    process.stderr.write(`openapi/build.mjs: ${msg}\n`);
    process.exit(1);
}

// ------------------------------------------------------------ the document

const src = path.join(here, 'openapi.yaml');
const parsed = YAML.parseDocument(fs.readFileSync(src, 'utf8'), { uniqueKeys: true, prettyErrors: true });
if (parsed.errors.length || parsed.warnings.length) {
    die(`${src} is not clean YAML:\n` + [...parsed.errors, ...parsed.warnings].map(String).join('\n'));
}
const doc = parsed.toJS({ maxAliasCount: -1 });
if (typeof doc?.openapi !== 'string' || !doc.openapi.startsWith('3.1.') || typeof doc.paths !== 'object') {
    die(`${src} is not an OpenAPI 3.1 document`);
}

// ------------------------------------------------------------ the docs UI

const uiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const uiVersion = JSON.parse(fs.readFileSync(path.join(uiDir, 'package.json'), 'utf8')).version;
const copied = [
    'swagger-ui-bundle.js',
    'swagger-ui-bundle.js.LICENSE.txt',
    'swagger-ui.css',
    'favicon-16x16.png',
    'favicon-32x32.png',
    'LICENSE',
    'NOTICE',
];

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

const indexHtml = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${esc(doc.info?.title ?? 'API')} ${esc(doc.info?.version ?? '')} — docs</title>
  <link rel="stylesheet" href="./swagger-ui.css">
  <link rel="stylesheet" href="./docs.css">
  <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="./favicon-16x16.png" sizes="16x16">
</head>
<body>
  <noscript><p class="docs-noscript">This page needs JavaScript. The API description itself is
    <a href="./openapi.json">openapi.json</a>.</p></noscript>
  <div id="swagger-ui"></div>
  <script src="./swagger-ui-bundle.js"></script>
  <script src="./docs.js"></script>
</body>
</html>
`;

// Swagger UI without its standalone top bar (whose URL box would fetch any document);
// no validator badge (it would call validator.swagger.io); "Try it out" calls this server.
const docsJs = `// smscamp API docs: Swagger UI ${uiVersion} (swagger-ui-dist), served offline.
'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: './openapi.json',
    dom_id: '#swagger-ui',
    layout: 'BaseLayout',
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    validatorUrl: null,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayOperationId: false,
    displayRequestDuration: true,
    filter: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    withCredentials: false
  });
});
`;

const docsCss = `/* smscamp API docs: small additions to swagger-ui.css */
body { margin: 0; background: #fafafa; }
.swagger-ui .information-container.wrapper { padding-top: 1rem; }
.docs-noscript { font-family: sans-serif; margin: 2rem; }
`;

// ------------------------------------------------------------ write

const tmp = `${out}.tmp-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(tmp, { recursive: true });
try {
    fs.writeFileSync(path.join(tmp, 'openapi.json'), JSON.stringify(doc) + '\n');
    for (const f of copied) {
        fs.copyFileSync(path.join(uiDir, f), path.join(tmp, f));
    }
    fs.writeFileSync(path.join(tmp, 'index.html'), indexHtml);
    fs.writeFileSync(path.join(tmp, 'docs.js'), docsJs);
    fs.writeFileSync(path.join(tmp, 'docs.css'), docsCss);
    const old = `${out}.old-${process.pid}`;
    if (fs.existsSync(out)) fs.renameSync(out, old);
    fs.renameSync(tmp, out);
    fs.rmSync(old, { recursive: true, force: true });
} catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    die(e.message);
}
const n = Object.values(doc.paths).reduce(
    (k, item) => k + Object.keys(item).filter((m) => /^(get|put|post|delete|patch|head|options|trace)$/.test(m)).length, 0);
console.log(`openapi: ${path.relative(path.join(here, '..'), out) || out}/ (${n} operations, Swagger UI ${uiVersion})`);
