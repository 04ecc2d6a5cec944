#!/usr/bin/env node
// The idle memory of the whole app: the shell and its WebKit processes (web, network), PSS
// summed over the process tree (/proc/PID/smaps_rollup), at the login screen and after N cash
// sales made through the window with the keyboard, as a cashier does. Each variant (a set of
// environment settings) runs in the same session of this script, so the figures sit beside a
// baseline measured on the same machine at the same time (docs/performance.md).
//
//   node scripts/measure-memory.mjs [--app PATH] [--sales N] [--settle SECONDS] [--variants a,b]
//
// Needs an X display (run it under xvfb-run -a -s "-screen 0 1280x1024x24"), tauri-driver and
// WebKitWebDriver (make test-deps). The app runs in demo mode with a fresh data directory.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, existsSync } from "node:fs";
import { tmpdir, homedir, cpus, totalmem } from "node:os";
import { join } from "node:path";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const targetDir = process.env.CARGO_TARGET_DIR || "target";
const app = arg("app", join(targetDir, "release", "till"));
const sales = Number(arg("sales", "100"));
const settleMs = Number(arg("settle", "8")) * 1000;

// The variants. "webkit-defaults" is the baseline: WebKit as it comes (the app before its memory
// settings, src-tauri/webview_memory.rs; the end-to-end tests also set no-compositing). "till"
// is the app as it starts by itself; the others change one thing on top of it.
const VARIANTS = {
  "webkit-defaults": { TILL_WEBKIT_LOW_MEMORY: "0" },
  "webkit-defaults+no-compositing-env": { TILL_WEBKIT_LOW_MEMORY: "0", WEBKIT_DISABLE_COMPOSITING_MODE: "1" },
  till: {},
  "till+no-compositing-env": { WEBKIT_DISABLE_COMPOSITING_MODE: "1" },
  "till+jit": { JSC_useJIT: "1" },
  "till+small-gc-heap": { JSC_forceRAMSize: String(256 * 1024 * 1024) },
  "till+malloc-arenas-2": { MALLOC_ARENA_MAX: "2" },
};
const chosen = arg("variants", "webkit-defaults,webkit-defaults+no-compositing-env,till").split(",");
for (const v of chosen) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(", ")}`);
if (!existsSync(app)) throw new Error(`no app at ${app}; build it (cargo build --release --bin till) or pass --app`);
if (!process.env.DISPLAY) throw new Error("no X display: run under xvfb-run -a -s '-screen 0 1280x1024x24'");

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const ENTER = "\uE007";
const F2 = "\uE032";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function driverPath() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const local = join(process.env.CARGO_HOME || join(homedir(), ".cargo"), "bin", "tauri-driver");
  return existsSync(local) ? local : "tauri-driver";
}

async function wd(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json.value;
}

class Session {
  constructor(base, id) {
    this.base = base;
    this.url = `/session/${id}`;
  }
  async find(css) {
    const v = await wd(this.base, "POST", `${this.url}/elements`, { using: "css selector", value: css });
    return v.map((e) => e[ELEMENT]);
  }
  async waitFor(css, n = 1, timeoutMs = 30000) {
    const start = Date.now();
    for (;;) {
      const found = await this.find(css);
      if (found.length >= n) return found;
      if (Date.now() - start > timeoutMs) throw new Error(`waited for ${n} x ${css}`);
      await sleep(50);
    }
  }
  async keys(text) {
    const active = (await wd(this.base, "GET", `${this.url}/element/active`))[ELEMENT];
    await wd(this.base, "POST", `${this.url}/element/${active}/value`, { text });
  }
}

// All processes: pid -> ppid.
function processTable() {
  const table = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      table.set(Number(d), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function pssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

// The app's process (its executable is `app`) and everything under it.
function appTree() {
  const table = processTable();
  const target = execFileSync("readlink", ["-f", app]).toString().trim();
  const roots = [...table.keys()].filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === target;
    } catch {
      return false;
    }
  });
  const tree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of table) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

function measure() {
  const parts = {};
  let total = 0;
  for (const pid of appTree()) {
    const kib = pssKiB(pid);
    const name = comm(pid);
    parts[name] = (parts[name] || 0) + kib;
    total += kib;
  }
  return { totalMiB: total / 1024, parts };
}

async function runVariant(name) {
  const dataDir = mkdtempSync(join(tmpdir(), "till-mem-"));
  const port = 4500 + Math.floor(Math.random() * 400);
  const env = {
    ...process.env,
    ...VARIANTS[name],
    TILL_DATA_DIR: dataDir,
    TILL_DEMO: "1",
    TILL_CARD_READER: "sim://card-reader?delay_ms=1",
  };
  const driver = spawn(driverPath(), ["--port", String(port), "--native-port", String(port + 1)], {
    env,
    detached: true,
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        await wd(base, "GET", "/status");
        break;
      } catch {
        if (i > 100) throw new Error("tauri-driver did not come up");
        await sleep(100);
      }
    }
    const v = await wd(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
    });
    const s = new Session(base, v.sessionId);
    await s.waitFor(".login-user[data-user-id='1']");
    await sleep(settleMs);
    const atLogin = measure();

    await s.keys(`1${ENTER}`);
    await s.waitFor("#pin-pad");
    await s.keys(`1111${ENTER}`);
    const started = Date.now();
    for (let i = 0; i < sales; i++) {
      await s.waitFor("#scan-input");
      await s.keys(`6901234567892${ENTER}`);
      await s.waitFor(".cart-line");
      await s.keys(F2);
      await s.waitFor("#tendered");
      await s.keys(`100${ENTER}`);
      await s.waitFor("#receipt");
      await s.keys("n");
      await s.waitFor("#scan-input");
    }
    const salesSeconds = (Date.now() - started) / 1000;
    await sleep(settleMs);
    const afterSales = measure();
    await wd(base, "DELETE", `/session/${v.sessionId}`).catch(() => {});
    return { name, atLogin, afterSales, salesSeconds };
  } finally {
    try {
      process.kill(-driver.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await sleep(500);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (m) => m.toFixed(1).padStart(8);
const results = [];
for (const name of chosen) {
  process.stderr.write(`measure-memory: ${name} ...\n`);
  results.push(await runVariant(name));
}

let cpu = "?";
try {
  cpu = cpus()[0].model;
} catch {
  // no cpu info
}
console.log(`# idle memory of Till (PSS, MiB, summed over the app's process tree)`);
console.log(`# ${new Date().toISOString()}  app ${app}  ${cpus().length} cpus (${cpu})  ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`);
console.log(`# settle ${settleMs / 1000} s before each reading; ${sales} cash sales through the window`);
console.log(`${"variant".padEnd(36)}${"login".padStart(8)}${`+${sales} sales`.padStart(12)}   per process after the sales`);
for (const r of results) {
  const parts = Object.entries(r.afterSales.parts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, kib]) => `${k} ${(kib / 1024).toFixed(1)}`)
    .join(", ");
  console.log(`${r.name.padEnd(36)}${fmt(r.atLogin.totalMiB)}${fmt(r.afterSales.totalMiB).padStart(12)}   ${parts}  (sales took ${r.salesSeconds.toFixed(0)} s)`);
}
