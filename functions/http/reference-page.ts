/**
 * A readable API reference rendered from the OpenAPI document on the server, with no
 * script or CDN, so it works offline and under a strict Content-Security-Policy.
 */
import { escapeHtml } from './html';
type Json = Record<string, unknown>;


function schemaText(schema: unknown): string {
  return escapeHtml(JSON.stringify(schema, null, 2) ?? '');
}

function renderOperation(method: string, path: string, operation: Json): string {
  const parameters = (operation.parameters as Json[] | undefined) ?? [];
  const rows = parameters
    .map((parameter) => `<tr><td><code>${escapeHtml(String(parameter.name))}</code></td><td>${escapeHtml(String(parameter.in))}</td><td>${parameter.required ? 'yes' : ''}</td><td>${escapeHtml(String((parameter.description as string | undefined) ?? ''))}</td></tr>`)
    .join('');
  const requestSchema = ((operation.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined;
  const responses = Object.entries((operation.responses as Json | undefined) ?? {})
    .map(([status, response]) => `<li><strong>${escapeHtml(status)}</strong> ${escapeHtml(String((response as Json).description ?? ''))}</li>`)
    .join('');
  return `<section id="${escapeHtml(String(operation.operationId))}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(String(operation.summary ?? ''))}</p>
${rows ? `<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>${rows}</table>` : ''}
${requestSchema ? `<details><summary>Request body</summary><pre>${schemaText(requestSchema.schema)}</pre></details>` : ''}
<ul>${responses}</ul>
</section>`;
}

export function referencePage(document: Json): string {
  const info = document.info as Json;
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      const tag = ((operation as Json).tags as string[] | undefined)?.[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, operation as Json)]);
    }
  }
  const sections = [...byTag].map(([tag, operations]) => `<h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${operations.join('\n')}`).join('\n');
  const nav = [...byTag.keys()].map((tag) => `<a href="#${escapeHtml(tag)}">${escapeHtml(tag)}</a>`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(String(info.title))}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1f2328}code,pre{font-family:ui-monospace,monospace}pre{background:#f6f8fa;padding:.75rem;overflow:auto;font-size:12px}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}.method{display:inline-block;min-width:4.5em;font-size:12px;padding:.1rem .4rem;border-radius:4px;color:#fff;background:#6e7781}.get{background:#0969da}.post{background:#1a7f37}.patch{background:#9a6700}.delete{background:#cf222e}section{border-top:1px solid #d0d7de;padding-top:.5rem}</style>
</head><body><h1>${escapeHtml(String(info.title))} <small>${escapeHtml(String(info.version))}</small></h1>
<p>${escapeHtml(String(info.description ?? ''))}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p><nav>${nav}</nav>${sections}</body></html>`;
}
