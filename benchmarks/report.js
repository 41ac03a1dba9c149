#!/usr/bin/env node
// Bench report: reads BENCH_DIR/client.json (our client) and BENCH_DIR/peer.json (the Node peer),
// both arrays of the client benchmark's records, and writes BENCH_DIR/summary.md (tables, ours vs
// peer) and BENCH_DIR/chart.svg (throughput and p99 latency vs concurrency, one line per SDK and
// io thread count). Several records of one configuration (repeated runs) are reduced to medians.
//
//   node benchmarks/report.js BENCH_DIR [--publish DOCS_DIR]   (also copies the chart to DOCS_DIR/bench/chart.svg)
//
// Node >= 18, no dependencies: the SVG is drawn here.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const OURS = 'wechatpay-asio';
const KINDS = ['query', 'app_prepay'];
const KIND_TITLE = { query: 'Query (1 sign + 1 verify)', app_prepay: 'APP prepay + payment parameters (2 signs + 1 verify)' };
const KIND_SHORT = { query: 'Query', app_prepay: 'APP prepay + pay params' };
const NUMERIC = ['calls', 'seconds', 'throughput', 'p50_ms', 'p99_ms', 'p999_ms', 'errors', 'handshakes',
  'cpu_ms_per_call', 'floor_ms_per_call', 'overhead_ratio', 'sim_cpu_ms_per_call'];

function readRecords(file) {
  if (!fs.existsSync(file)) return [];
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${file}: expected an array of records`);
  return data.filter((r) => r && r.sdk && r.kind && r.concurrency > 0);
}

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// One record per configuration: the median of each figure over the runs of that configuration.
function reduce(records) {
  const groups = new Map();
  for (const r of records) {
    const mode = r.mode || 'pooled';
    const key = [r.sdk, r.io_threads || 1, mode, r.kind, r.concurrency].join('|');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return Array.from(groups.values(), (rs) => {
    const out = { ...rs[0], mode: rs[0].mode || 'pooled', io_threads: rs[0].io_threads || 1, runs: rs.length };
    for (const f of NUMERIC) out[f] = median(rs.map((r) => r[f]));
    return out;
  });
}

// ---- numbers in text ----------------------------------------------------------------------

function fmt(x, digits) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  if (digits !== undefined) return x.toFixed(digits);
  if (Math.abs(x) >= 100) return Math.round(x).toString();
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const ratio = (a, b) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function machine() {
  const cpu = os.cpus()[0];
  return `${os.cpus().length} cores (nproc), ${cpu ? cpu.model.trim() : 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

function summary(recs) {
  const find = (sdk, t, kind, c, mode = 'pooled') => recs.find((r) => (sdk === OURS ? r.sdk === OURS : r.sdk !== OURS)
    && (sdk !== OURS || r.io_threads === t) && r.kind === kind && r.concurrency === c && r.mode === mode);
  const peer = recs.find((r) => r.sdk !== OURS);
  const ours = recs.find((r) => r.sdk === OURS);
  const out = ['# Client benchmark: wechatpay-asio vs the peer', ''];
  out.push(`Machine: ${machine()}. Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
  out.push(`Ours: ${ours ? `${OURS} ${ours.sdk_version || ''}`.trim() : 'no records (client.json missing or empty)'}; `
    + `peer: ${peer ? `${peer.sdk} ${peer.sdk_version || ''}${peer.runtime ? ` on ${peer.runtime}` : ''}` : 'no records (peer.json missing or empty)'}.`);
  const runs = Math.max(...recs.map((r) => r.runs));
  if (runs > 1) out.push(`Each figure is the median of up to ${runs} runs.`);
  out.push('Both clients verify every answer\'s signature; ratios are ours / peer, measured in the same run.', '');

  for (const kind of KINDS) {
    const cs = [...new Set(recs.filter((r) => r.kind === kind && r.mode === 'pooled').map((r) => r.concurrency))].sort((a, b) => a - b);
    if (cs.length === 0) continue;
    out.push(`## ${KIND_TITLE[kind]}`, '');
    const thr = [];
    const cpu = [];
    for (const c of cs) {
      const [o1, o2, p] = [find(OURS, 1, kind, c), find(OURS, 2, kind, c), find('peer', 0, kind, c)];
      const best = [o1, o2].filter(Boolean).reduce((a, r) => (!a || r.throughput > a.throughput ? r : a), undefined);
      const g = (r, f) => (r ? r[f] : undefined);
      thr.push([kind, c, fmt(g(o1, 'throughput')), fmt(g(o2, 'throughput')), fmt(g(p, 'throughput')),
        ratio(g(best, 'throughput'), g(p, 'throughput')),
        fmt(g(o1, 'p99_ms')), fmt(g(o2, 'p99_ms')), fmt(g(p, 'p99_ms')),
        [o1, o2, p].map((r) => (r ? `${fmt(r.errors, 0)}/${fmt(r.handshakes, 0)}` : '–')).join(' · ')]);
      cpu.push([kind, c, fmt(g(o1, 'cpu_ms_per_call'), 3), fmt(g(o2, 'cpu_ms_per_call'), 3), fmt(g(p, 'cpu_ms_per_call'), 3),
        ratio(g(o1, 'cpu_ms_per_call'), g(p, 'cpu_ms_per_call')),
        fmt(g(o1, 'floor_ms_per_call'), 3), fmt(g(p, 'floor_ms_per_call'), 3),
        fmt(g(o1, 'overhead_ratio')), fmt(g(o2, 'overhead_ratio')), fmt(g(p, 'overhead_ratio')),
        `${fmt(g(o1, 'sim_cpu_ms_per_call'), 3)} · ${fmt(g(p, 'sim_cpu_ms_per_call'), 3)}`]);
    }
    out.push(table(['kind', 'C', 'calls/s ours T=1', 'ours T=2', 'peer', 'ours/peer (best T)',
      'p99 ms ours T=1', 'ours T=2', 'peer', 'errors/handshakes T=1 · T=2 · peer'], thr), '');
    out.push(table(['kind', 'C', 'CPU ms/call ours T=1', 'ours T=2', 'peer', 'ours/peer (T=1)',
      'floor ms ours', 'floor ms peer', 'overhead ours T=1', 'ours T=2', 'peer', 'simulator CPU ms/call ours T=1 · peer'], cpu), '');

    // What the pool buys: ours with a new connection per call, where the client benchmark ran it.
    const nk = recs.filter((r) => r.sdk === OURS && r.kind === kind && r.mode === 'no_keepalive')
      .sort((a, b) => a.io_threads - b.io_threads || a.concurrency - b.concurrency);
    if (nk.length) {
      out.push(table(['kind', 'C', 'T', 'calls/s pooled', 'no keep-alive', 'pooled/no keep-alive',
        'handshakes pooled', 'no keep-alive', 'CPU ms/call pooled', 'no keep-alive'], nk.map((n) => {
        const p = find(OURS, n.io_threads, kind, n.concurrency);
        const g = (r, f) => (r ? r[f] : undefined);
        return [kind, n.concurrency, n.io_threads, fmt(g(p, 'throughput')), fmt(n.throughput), ratio(g(p, 'throughput'), n.throughput),
          fmt(g(p, 'handshakes'), 0), fmt(n.handshakes, 0), fmt(g(p, 'cpu_ms_per_call'), 3), fmt(n.cpu_ms_per_call, 3)];
      })), '');
    }
  }
  out.push('T = client io threads (the peer is one Node event loop). CPU = the client process\'s user+system time '
    + 'per call; floor = RSA-2048 signs and verify per call, timed in the same process; overhead = CPU / floor. '
    + 'Handshakes = TLS handshakes the simulator counted during the run. Simulator CPU = the simulator '
    + 'process\'s CPU time per call, where the benchmark knew its pid: it shares the machine with the client.', '');
  return out.join('\n');
}

// ---- SVG ----------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const el = (name, attrs, body) => {
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  return body === undefined ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
};
const text = (x, y, s, attrs = {}) => el('text', { x, y, ...attrs }, esc(s));

// A "nice" upper bound and step for a linear axis from 0.
function niceLinear(max) {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

// Decade bounds and ticks for a log axis: 1, 2, 5 per decade, or decades alone on a wide range.
function niceLog(min, max) {
  const lo = 10 ** Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
  const steps = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5];
  const ticks = [];
  for (let d = lo; d < hi * 1.001; d *= 10) for (const m of steps) if (d * m <= hi * 1.001) ticks.push(d * m);
  return { lo, hi, ticks };
}

const tickLabel = (v) => (v >= 1000 ? `${v / 1000}k` : String(Number(v.toPrecision(3))));

// One panel: x = concurrency on a log2 axis, y linear (throughput) or log10 (latency).
function panel(x0, y0, w, h, { title, ylabel, field, logY }, series, cs) {
  const parts = [];
  const lx = (c) => Math.log2(c);
  const [xmin, xmax] = [lx(cs[0]), lx(cs[cs.length - 1])];
  const px = (c) => x0 + (xmax === xmin ? w / 2 : ((lx(c) - xmin) / (xmax - xmin)) * w);
  const values = series.flatMap((s) => s.points.map((p) => p[field])).filter((v) => v > 0);
  let py;
  let yticks;
  if (logY) {
    const { lo, hi, ticks } = niceLog(Math.min(...values, 1), Math.max(...values, 10));
    py = (v) => y0 + h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h;
    yticks = ticks;
  } else {
    const { top, step } = niceLinear(Math.max(...values, 1) * 1.05); // headroom above the highest point
    py = (v) => y0 + h - (v / top) * h;
    yticks = [];
    for (let v = 0; v <= top + step / 2; v += step) yticks.push(Number(v.toPrecision(6)));
  }
  parts.push(el('rect', { x: x0, y: y0, width: w, height: h, fill: '#fff', stroke: '#999' }));
  for (const v of yticks) {
    const y = py(v).toFixed(1);
    parts.push(el('line', { x1: x0, x2: x0 + w, y1: y, y2: y, stroke: '#e4e4e4' }));
    parts.push(text(x0 - 6, Number(y) + 4, tickLabel(v), { 'text-anchor': 'end', 'font-size': 11 }));
  }
  for (const c of cs) {
    const x = px(c).toFixed(1);
    parts.push(el('line', { x1: x, x2: x, y1: y0, y2: y0 + h, stroke: '#eee' }));
    parts.push(el('line', { x1: x, x2: x, y1: y0 + h, y2: y0 + h + 5, stroke: '#666' }));
    parts.push(text(x, y0 + h + 18, c, { 'text-anchor': 'middle', 'font-size': 11 }));
  }
  parts.push(text(x0 + w / 2, y0 - 10, title, { 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 'bold' }));
  parts.push(text(x0 + w / 2, y0 + h + 36, 'concurrent calls (log scale)', { 'text-anchor': 'middle', 'font-size': 12 }));
  const ly = y0 + h / 2;
  parts.push(text(x0 - 48, ly, ylabel, { 'text-anchor': 'middle', 'font-size': 12, transform: `rotate(-90 ${x0 - 48} ${ly})` }));
  for (const s of series) {
    const pts = s.points.filter((p) => p[field] > 0);
    if (pts.length === 0) continue;
    parts.push(el('polyline', {
      points: pts.map((p) => `${px(p.concurrency).toFixed(1)},${py(p[field]).toFixed(1)}`).join(' '),
      fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash || 'none',
    }));
    for (const p of pts) parts.push(el('circle', { cx: px(p.concurrency).toFixed(1), cy: py(p[field]).toFixed(1), r: 3.5, fill: s.color }));
  }
  return parts.join('\n');
}

// Fixed colours per line, so a figure reads the same whether or not every line is there.
function styleOf(key) {
  if (key === `${OURS}|1`) return { color: '#1f5fbf' };
  if (key === `${OURS}|2`) return { color: '#0a9d6a', dash: '6 3' };
  if (key.startsWith(`${OURS}|`)) return { color: '#7b3fbf', dash: '2 3' };
  return { color: '#d9480f' };
}

function chart(recs) {
  const pooled = recs.filter((r) => r.mode === 'pooled' && KINDS.includes(r.kind));
  // One line per (sdk, io threads), ours first.
  const lineKeys = [...new Set(pooled.map((r) => `${r.sdk}|${r.io_threads}`))]
    .sort((a, b) => (a.startsWith(`${OURS}|`) ? 0 : 1) - (b.startsWith(`${OURS}|`) ? 0 : 1) || a.localeCompare(b));
  const name = (k) => {
    const [sdk, t] = k.split('|');
    return sdk === OURS ? `${OURS}, ${t} io thread${t === '1' ? '' : 's'}` : `${sdk} (Node, 1 event loop)`;
  };
  const kinds = KINDS.filter((k) => pooled.some((r) => r.kind === k));
  const cs = [...new Set(pooled.map((r) => r.concurrency))].sort((a, b) => a - b);
  const [pw, ph, left, top, gapX, gapY] = [380, 230, 80, 90, 110, 100];
  const width = left + 2 * pw + gapX + 30;
  const height = top + kinds.length * (ph + gapY) - 30;
  const body = [el('rect', { x: 0, y: 0, width, height, fill: '#fafafa' })];
  body.push(text(width / 2, 26, 'WeChat Pay API v3 client: throughput and p99 latency vs concurrency', {
    'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold',
  }));
  lineKeys.forEach((k, i) => { // legend, one row under the title
    const x = left + i * 230;
    const st = styleOf(k);
    body.push(el('line', { x1: x, x2: x + 28, y1: 50, y2: 50, stroke: st.color, 'stroke-width': 2, 'stroke-dasharray': st.dash || 'none' }));
    body.push(el('circle', { cx: x + 14, cy: 50, r: 3.5, fill: st.color }));
    body.push(text(x + 34, 54, name(k), { 'font-size': 12 }));
  });
  kinds.forEach((kind, row) => {
    const series = lineKeys.map((k) => ({
      ...styleOf(k),
      points: pooled.filter((r) => `${r.sdk}|${r.io_threads}` === k && r.kind === kind).sort((a, b) => a.concurrency - b.concurrency),
    }));
    const y = top + row * (ph + gapY);
    body.push(panel(left, y, pw, ph, { title: `${KIND_SHORT[kind]}: throughput`, ylabel: 'calls / s', field: 'throughput' }, series, cs));
    body.push(panel(left + pw + gapX, y, pw, ph, { title: `${KIND_SHORT[kind]}: p99 latency`, ylabel: 'p99 latency, ms (log scale)', field: 'p99_ms', logY: true }, series, cs));
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('svg', {
    xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'DejaVu Sans, Helvetica, Arial, sans-serif',
  }, `\n${body.join('\n')}\n`)}\n`;
}

function main() {
  const args = process.argv.slice(2);
  const pub = args.indexOf('--publish');
  const docs = pub >= 0 ? args.splice(pub, 2)[1] : undefined;
  if (args.length !== 1 || (pub >= 0 && !docs)) {
    console.error('usage: node benchmarks/report.js BENCH_DIR [--publish DOCS_DIR]');
    process.exit(2);
  }
  const dir = args[0];
  const recs = reduce([...readRecords(path.join(dir, 'client.json')), ...readRecords(path.join(dir, 'peer.json'))]);
  if (recs.length === 0) {
    console.error(`report: no records in ${dir}/client.json or ${dir}/peer.json`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(dir, 'summary.md'), summary(recs));
  fs.writeFileSync(path.join(dir, 'chart.svg'), chart(recs));
  console.log(`wrote ${path.join(dir, 'summary.md')} and ${path.join(dir, 'chart.svg')}`);
  if (docs) {
    fs.mkdirSync(path.join(docs, 'bench'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'chart.svg'), path.join(docs, 'bench', 'chart.svg'));
    console.log(`published ${path.join(docs, 'bench', 'chart.svg')}`);
  }
}

main();
