// Drives the platform's MCP server with the MCP reference client (@modelcontextprotocol/sdk,
// installed by tests/npm-install.sh) over streamable HTTP. Used by workers/tests/platform/mcp.rs.
//
//   MCP_URL=http://127.0.0.1:PORT/mcp MCP_TOKEN=<run token> node mcp-conformance.mjs conformance
//   ... node mcp-conformance.mjs list
//   ... node mcp-conformance.mjs call <tool> '<json arguments>'
//
// Every mode prints one JSON object on stdout; `conformance` exits 1 when a check fails.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.env.MCP_URL);
const token = process.env.MCP_TOKEN;
const [mode, tool, args] = process.argv.slice(2);

async function connect(bearer) {
  const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  const client = new Client({ name: "ck8s-conformance", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  return client;
}

async function call(client, name, argumentsObject) {
  try {
    const r = await client.callTool({ name, arguments: argumentsObject }, undefined, {
      timeout: 600_000,
    });
    return { isError: r.isError === true, structured: r.structuredContent ?? null, text: r.content?.[0]?.text ?? "" };
  } catch (e) {
    return { error: { code: e.code ?? null, message: String(e.message ?? e) } };
  }
}

async function conformance() {
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });

  // No token: the HTTP layer refuses before any MCP handling, as problem+json.
  const raw = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
  });
  check("no token is refused with 401 problem+json", raw.status === 401 && (raw.headers.get("content-type") ?? "").includes("problem+json"), { status: raw.status });
  let refused = false;
  try { await connect("ck8s_run_forged"); } catch { refused = true; }
  check("a forged token cannot initialize", refused);

  const client = await connect(token);
  const info = client.getServerVersion();
  const caps = client.getServerCapabilities();
  check("initialize names the server and offers tools", info?.name === "codex-k8s" && caps?.tools, { info, caps });
  await client.ping();
  check("ping answers", true);

  const listed = await client.listTools();
  const names = listed.tools.map((t) => t.name);
  check("tools/list returns the run's tools", names.includes("run_status_report") && names.includes("owner_feedback_request"), names);
  const undocumented = listed.tools.flatMap((t) =>
    t.inputSchema?.type !== "object" || !t.description ? [t.name] :
      Object.entries(t.inputSchema.properties ?? {}).filter(([, p]) => !p.description).map(([k]) => `${t.name}.${k}`));
  check("every tool and parameter is described", undocumented.length === 0, undocumented);

  const ok = await call(client, "run_status_report", { status: "conformance check running" });
  check("tools/call answers with structured content", !ok.isError && ok.structured?.status === "recorded", ok);
  const missing = await call(client, "run_status_report", {});
  check("a missing argument is a tool error naming it", missing.isError && /status/.test(missing.text), missing);
  const extra = await call(client, "run_status_report", { status: "x", colour: "red" });
  check("an unknown argument is a tool error naming it", extra.isError && /colour/.test(extra.text), extra);
  const long = await call(client, "run_status_report", { status: "x".repeat(101) });
  check("an out-of-bounds argument is a tool error with a code", long.isError && long.structured?.error?.code === "invalid_argument", long);
  const unknown = await call(client, "no_such_tool", {});
  check("an unknown tool is a protocol error", unknown.error && unknown.error.code === -32602, unknown);
  await client.close();
  return { ok: checks.every((c) => c.ok), checks };
}

let out;
if (mode === "conformance") {
  out = await conformance();
} else if (mode === "list") {
  const client = await connect(token);
  out = { tools: (await client.listTools()).tools.map((t) => t.name) };
  await client.close();
} else if (mode === "call") {
  const client = await connect(token);
  out = await call(client, tool, JSON.parse(args ?? "{}"));
  await client.close();
} else {
  out = { error: { message: `unknown mode ${mode}` } };
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(out.ok === false ? 1 : 0);
