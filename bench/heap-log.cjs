/**
 * A diagnostic preload for `chaos run` (what docs/benchmarks.md's soak diagnosis used), not part of the product:
 *
 *   NODE_OPTIONS="--require $PWD/bench/heap-log.cjs" HEAP_LOG_DIR=/tmp/heap \
 *     flock /tmp/chaos-run/cluster.lock npx tsx bench/soak.ts --minutes 12 --kill-every 4
 *
 * In the chaos process only (other processes that inherit NODE_OPTIONS are left alone), it writes
 * HEAP_LOG_DIR/<pid>.tsv: every 5 s, seconds since start, RSS, heap total and used, external, array buffers, and
 * the new and old spaces' committed and used sizes (MB). With HEAP_PROFILE_FROM_S and HEAP_PROFILE_TO_S set, it
 * also writes HEAP_LOG_DIR/<pid>.heapprofile: a sampling heap profile of the objects allocated in that span that
 * outlived the young generation, whether or not a full GC collected them later (load it in Chrome DevTools).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const dir = process.env.HEAP_LOG_DIR;
if (dir && process.argv[1]?.endsWith(path.join('bin', 'chaos.js'))) {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, String(process.pid));
  const t0 = Date.now();
  const mb = (b) => (b / 1048576).toFixed(1);
  fs.writeFileSync(
    `${base}.tsv`,
    't_s\trss\theap_total\theap_used\texternal\tarray_buffers\tnew\tnew_used\told\told_used\n',
  );
  setInterval(() => {
    const m = process.memoryUsage();
    const space = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s]));
    const row = [m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers].map(mb);
    for (const name of ['new_space', 'old_space'])
      row.push(mb(space[name].space_size), mb(space[name].space_used_size));
    fs.appendFileSync(`${base}.tsv`, `${Math.round((Date.now() - t0) / 1000)}\t${row.join('\t')}\n`);
  }, 5000).unref();

  const from = Number(process.env.HEAP_PROFILE_FROM_S);
  const to = Number(process.env.HEAP_PROFILE_TO_S);
  if (from >= 0 && to > from) {
    const inspector = require('node:inspector');
    const session = new inspector.Session();
    session.connect();
    setTimeout(() => {
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: false,
        }),
      );
    }, from * 1000).unref();
    setTimeout(() => {
      session.post('HeapProfiler.stopSampling', (error, result) => {
        if (!error) fs.writeFileSync(`${base}.heapprofile`, JSON.stringify(result.profile));
      });
    }, to * 1000).unref();
  }
}
