#!/usr/bin/env node
// Peer benchmark: the client end-to-end load of benchmarks/ (query and APP prepay with payment
// parameters, C concurrent callers, N calls) driven through wechatpay-axios-plugin, against the
// same `wechatpay sim` process. Writes the same record schema as the C++ client benchmark.
//
//   node benchmarks/peer/peer_bench.js --setup DIR --port PORT --out FILE.json
//        [--calls N] [--concurrency 1,16,64,256,1024] [--kinds query,app_prepay] [--runs R]
//   node benchmarks/peer/peer_bench.js --sim PATH/TO/wechatpay --setup DIR --out FILE.json [...]
//        (starts `wechatpay sim --generate DIR` itself, and stops it at the end)
// --sim-pid PID (with --port): also report the simulator's CPU per call, read from /proc.
//
// --runs R repeats the whole sweep R times; every run's records are written (the report takes medians).
//
// Works on Node >= 18 (Debian 12's nodejs). Plain CommonJS, no dependency but the plugin.
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');

const { Wechatpay, Formatter, Rsa } = require('wechatpay-axios-plugin');
const SDK_VERSION = require('wechatpay-axios-plugin/package.json').version;

const POOL = 64; // sockets per client, as our client's pool of 64 sessions
const CALLS_AT_C1 = 500; // cap at concurrency 1, where a run is one call at a time
const CALL_TIMEOUT_MS = 30000;

function usage(msg) {
  if (msg) console.error(`peer_bench: ${msg}`);
  console.error('usage: node peer_bench.js (--setup DIR --port PORT | --sim WECHATPAY_CLI --setup DIR) --out FILE.json '
    + '[--calls N] [--concurrency 1,16,64,256,1024] [--kinds query,app_prepay] [--runs R] [--sim-pid PID]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { calls: 2000, concurrency: [1, 16, 64, 256, 1024], kinds: ['query', 'app_prepay'], runs: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) usage(`${k} needs a value`);
    if (k === '--setup') o.setup = v;
    else if (k === '--port') o.port = Number(v);
    else if (k === '--out') o.out = v;
    else if (k === '--calls') o.calls = Number(v);
    else if (k === '--concurrency') o.concurrency = v.split(',').map(Number);
    else if (k === '--kinds') o.kinds = v.split(',');
    else if (k === '--runs') o.runs = Number(v);
    else if (k === '--sim') o.sim = v;
    else if (k === '--sim-pid') o.simPid = Number(v);
    else usage(`unknown option ${k}`);
  }
  if (!o.setup || !o.out || !(o.sim || o.port > 0)) usage('--setup, --out and --port or --sim are required');
  if (!(o.calls > 0) || !(o.runs > 0) || o.concurrency.some((c) => !(c > 0))) usage('--calls and --concurrency must be positive');
  if (o.kinds.some((k) => k !== 'query' && k !== 'app_prepay')) usage('--kinds: query and/or app_prepay');
  return o;
}

// The merchant and WeChat Pay identities from a `wechatpay sim --generate DIR` setup.
function loadSetup(dir) {
  const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
  const sim = JSON.parse(read('simulator.json'));
  const m = sim.merchants[0];
  const serialOf = (pem) => new crypto.X509Certificate(pem).serialNumber.toUpperCase();
  const merchantCert = read('apiclient_cert.pem');
  const platformCert = read('platform_cert.pem');
  return {
    mchid: m.mchid,
    appid: m.appids[0],
    serial: serialOf(merchantCert),
    privateKey: read('apiclient_key.pem'),
    platformSerial: serialOf(platformCert),
    platformCert,
    publicKeyId: sim.wechatpay.public_key.id,
    publicKey: read('wechatpay_pub_key.pem'),
    ca: read(path.join('tls', 'ca.pem')),
  };
}

// One client as a user would make it: merchant key and serial for signing requests, both WeChat
// Pay keys for verifying answers (the plugin verifies every 2xx answer against `certs`). Asking
// for answers signed with the public key (Wechatpay-Serial) is what our client does too.
function makeClient(s, port) {
  const agent = new https.Agent({ ca: s.ca, keepAlive: true, maxSockets: POOL });
  const privateKey = Rsa.from(s.privateKey, Rsa.KEY_TYPE_PRIVATE); // parsed once, as an app would
  const wxpay = new Wechatpay({
    mchid: s.mchid,
    serial: s.serial,
    privateKey,
    certs: { [s.platformSerial]: s.platformCert, [s.publicKeyId]: s.publicKey },
    baseURL: `https://127.0.0.1:${port}/`,
    httpsAgent: agent,
    timeout: CALL_TIMEOUT_MS,
    headers: { 'Wechatpay-Serial': s.publicKeyId },
  });
  return { wxpay, agent, privateKey };
}

let orderSeq = 0;
const runTag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const nextOrderNo = () => `PEER${runTag}${(orderSeq++).toString(36)}`; // ≤ 32 chars, unique per run

function prepayBody(s, outTradeNo) {
  return {
    appid: s.appid,
    mchid: s.mchid,
    description: 'peer benchmark',
    out_trade_no: outTradeNo,
    notify_url: 'https://example.com/notify',
    amount: { total: 1, currency: 'CNY' },
  };
}

// One call of each kind, as an application would make it.
async function appPrepay(c, s) {
  const res = await c.wxpay.v3.pay.transactions.app.post(prepayBody(s, nextOrderNo()));
  const prepayId = res.data.prepay_id;
  if (!prepayId) throw new Error('no prepay_id in the answer');
  // The APP's payment parameters: a second signature with the merchant key (reference §8).
  const timestamp = `${Formatter.timestamp()}`;
  const noncestr = Formatter.nonce();
  const sign = Rsa.sign(Formatter.joinedByLineFeed(s.appid, timestamp, noncestr, prepayId), c.privateKey);
  return { appid: s.appid, partnerid: s.mchid, prepayid: prepayId, package: 'Sign=WXPay', noncestr, timestamp, sign };
}

async function query(c, s, outTradeNo) {
  const res = await c.wxpay.v3.pay.transactions['out-trade-no']['{out_trade_no}']
    .get({ params: { mchid: s.mchid }, out_trade_no: outTradeNo });
  if (res.data.out_trade_no !== outTradeNo) throw new Error('query answered another order');
  return res.data;
}

// Unsigned control calls to the simulator (/sim/...), on their own connection.
function simCall(s, port, method, pathname, body) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, method, path: pathname, ca: s.ca, agent: false,
      headers: body ? { 'Content-Type': 'application/json' } : {},
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(data ? JSON.parse(data) : {})
        : reject(new Error(`${method} ${pathname}: HTTP ${res.statusCode} ${data}`))));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

// TLS handshakes the simulator has done so far. Each read opens one connection of its own (one
// handshake, counted before the answer is written), which the caller subtracts.
async function handshakes(s, port) {
  const t = (await simCall(s, port, 'GET', '/sim/stats')).tls_handshakes;
  return t.full + t.resumed;
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

// The simulator's CPU ms so far (Linux /proc; utime + stime in USER_HZ = 100 ticks/s), when its
// pid is known: it shares the machine with the client, so its cost per call is worth stating.
function simCpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch (e) {
    return undefined;
  }
}

// The crypto floor in this process: CPU ms of one RSA-2048 SHA-256 sign and one verify with Node's
// crypto on the already-parsed keys, over a message the size of a real request.
function cryptoFloor(s) {
  const key = crypto.createPrivateKey(s.privateKey);
  const pub = crypto.createPublicKey(key);
  const msg = Buffer.from(`GET\n/v3/pay/transactions/out-trade-no/PEER0123456789abcdef?mchid=${s.mchid}\n`
    + `${Formatter.timestamp()}\n${Formatter.nonce()}\n\n`);
  const timeLoop = (n, fn) => {
    fn(); // first use sets up the key's method caches
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) fn();
    return (cpuMs() - t0) / n;
  };
  const sig = crypto.sign('sha256', msg, key);
  const signMs = timeLoop(200, () => crypto.sign('sha256', msg, key));
  const verifyMs = timeLoop(2000, () => crypto.verify('sha256', msg, pub, sig));
  return { signMs, verifyMs };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

const round = (x, d) => Number(x.toFixed(d));

// N calls from C concurrent async callers on a fresh client (so its pool starts empty, as ours).
async function runConfig(opts, s, kind, concurrency) {
  const calls = concurrency === 1 ? Math.min(opts.calls, CALLS_AT_C1) : opts.calls;
  const floor = cryptoFloor(s);
  const floorMs = floor.signMs * (kind === 'query' ? 1 : 2) + floor.verifyMs;

  const hs0 = await handshakes(s, opts.port);
  const c = makeClient(s, opts.port);
  let one;
  if (kind === 'query') {
    const no = nextOrderNo();
    await c.wxpay.v3.pay.transactions.app.post(prepayBody(s, no));
    one = () => query(c, s, no);
  } else {
    one = () => appPrepay(c, s);
  }
  const latencies = new Float64Array(calls);
  let next = 0;
  let errors = 0;
  const errorSamples = new Map();
  async function worker() {
    while (next < calls) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await one();
      } catch (e) {
        errors++;
        const why = (e.response && e.response.status ? `HTTP ${e.response.status} ` : '') + (e.code || e.message);
        errorSamples.set(why, (errorSamples.get(why) || 0) + 1);
      }
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  const cpu0 = cpuMs();
  const sim0 = opts.simPid && simCpuMs(opts.simPid);
  const wall0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - wall0) / 1e9;
  const cpuPerCall = (cpuMs() - cpu0) / calls;
  const sim1 = opts.simPid && simCpuMs(opts.simPid);
  const hs1 = await handshakes(s, opts.port);
  c.agent.destroy();

  for (const [why, n] of errorSamples) console.error(`  ${kind} c=${concurrency}: ${n} × ${why}`);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    sdk: 'wechatpay-axios-plugin',
    sdk_version: SDK_VERSION,
    runtime: `node ${process.version}, OpenSSL ${process.versions.openssl}`,
    kind,
    io_threads: 1,
    concurrency,
    pool: POOL,
    calls,
    seconds: round(seconds, 3),
    throughput: round(calls / seconds, 1),
    p50_ms: round(percentile(sorted, 0.5), 3),
    p99_ms: round(percentile(sorted, 0.99), 3),
    p999_ms: round(percentile(sorted, 0.999), 3),
    errors,
    handshakes: hs1 - hs0 - 1, // less the second stats read's own connection
    cpu_ms_per_call: round(cpuPerCall, 4),
    sign_ms: round(floor.signMs, 4),
    verify_ms: round(floor.verifyMs, 4),
    floor_ms_per_call: round(floorMs, 4),
    overhead_ratio: round(cpuPerCall / floorMs, 3),
    sim_cpu_ms_per_call: sim0 !== undefined && sim1 !== undefined ? round((sim1 - sim0) / calls, 4) : null,
  };
}

// Refuses to measure a client that does not check answers: one forged answer must fail.
async function checkVerification(opts, s) {
  const c = makeClient(s, opts.port);
  const no = nextOrderNo();
  await c.wxpay.v3.pay.transactions.app.post(prepayBody(s, no));
  await simCall(s, opts.port, 'POST', '/sim/faults', { kind: 'bad_signature', endpoint: '*', times: 1 });
  let rejected = null;
  try {
    await query(c, s, no);
  } catch (e) {
    rejected = e.code || e.message;
  } finally {
    await simCall(s, opts.port, 'DELETE', '/sim/faults');
  }
  await query(c, s, no); // and the next, honest answer passes
  c.agent.destroy();
  if (!rejected) throw new Error('a forged answer was accepted: the peer is not verifying signatures');
  console.log(`verification on: a forged answer was rejected (${rejected})`);
}

// Runs once before measuring, so V8 has compiled the hot paths before the first configuration.
async function warmUp(opts, s) {
  const c = makeClient(s, opts.port);
  const no = nextOrderNo();
  await c.wxpay.v3.pay.transactions.app.post(prepayBody(s, no));
  for (let i = 0; i < 200; i++) await Promise.all([query(c, s, no), appPrepay(c, s)]);
  c.agent.destroy();
}

function toCsv(records) {
  const cols = Object.keys(records[0]);
  const cell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v ?? ''));
  return [cols.join(','), ...records.map((r) => cols.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}

function printTable(records) {
  const cols = [['run', 3], ['kind', 10], ['concurrency', 5], ['calls', 6], ['throughput', 9], ['p50_ms', 8], ['p99_ms', 8],
    ['p999_ms', 8], ['errors', 6], ['handshakes', 5], ['cpu_ms_per_call', 7], ['floor_ms_per_call', 7], ['overhead_ratio', 6],
    ['sim_cpu_ms_per_call', 6]];
  const heads = ['run', 'kind', 'C', 'calls', 'calls/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'hs', 'cpu ms', 'floor ms', 'cpu/floor', 'sim cpu ms'];
  const pad = (v, w) => String(v).padStart(w);
  console.log(cols.map(([, w], i) => pad(heads[i], Math.max(w, heads[i].length))).join(' '));
  for (const r of records) console.log(cols.map(([k, w], i) => pad(r[k], Math.max(w, heads[i].length))).join(' '));
}

// Starts `wechatpay sim --generate DIR` and resolves with its port once it prints where it listens.
function startSimulator(cli, dir) {
  return new Promise((resolve, reject) => {
    // --max-seconds: the simulator stops by itself even if this process is killed.
    const child = spawn(cli, ['sim', '--generate', dir, '--max-seconds', '3600'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`simulator exited (${code}) before listening: ${out}`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout.removeAllListeners('data');
      child.stdout.resume(); // keep draining, so the simulator never blocks on a full pipe
      try {
        resolve({ child, port: Number(JSON.parse(out.slice(0, nl)).listening.split(':').pop()) });
      } catch (e) {
        child.kill();
        reject(new Error(`simulator's first line is not {"listening":…}: ${out.slice(0, nl)}`));
      }
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let sim;
  if (opts.sim) {
    sim = await startSimulator(opts.sim, opts.setup);
    sim.child.removeAllListeners('exit');
    opts.port = sim.port;
    opts.simPid = sim.child.pid;
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { sim.child.kill(); process.exit(130); });
  }
  try {
    await sweep(opts);
  } finally {
    if (sim) sim.child.kill();
  }
}

async function sweep(opts) {
  const s = loadSetup(opts.setup);
  console.log(`wechatpay-axios-plugin ${SDK_VERSION} on node ${process.version}, pool ${POOL}, `
    + `against https://127.0.0.1:${opts.port}/`);
  await checkVerification(opts, s);
  await warmUp(opts, s);
  const records = [];
  for (let run = 1; run <= opts.runs; run++) {
    for (const kind of opts.kinds) {
      for (const c of opts.concurrency) {
        const r = { ...(await runConfig(opts, s, kind, c)), run };
        records.push(r);
        console.log(`  run ${run} ${kind} c=${c}: ${r.throughput} calls/s, p99 ${r.p99_ms} ms, cpu ${r.cpu_ms_per_call} ms/call`);
      }
    }
  }
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  fs.writeFileSync(opts.out, `${JSON.stringify(records, null, 1)}\n`);
  fs.writeFileSync(opts.out.replace(/\.json$/, '') + '.csv', toCsv(records));
  printTable(records);
}

main().catch((e) => {
  console.error(`peer_bench: ${e.stack || e}`);
  process.exit(1);
});
