import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../../src/report/index.js';
import { makeRunResult } from '../../unit/report/fixture.js';
import { decodePng, pngDimensions } from './png.js';

/**
 * Renders report.html in real headless Chromium: the only way to know the inline SVG and CSS actually paint.
 * Chromium missing is a failure, not a skip: CI installs it, and a silently skipped render test is how a blank
 * report ships.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Not removed after the run, so a human can look at the picture; the screenshot test prints its path.
const OUT_DIR = join(tmpdir(), 'chaos-report-render');
const WIDTH = 1280;
const HEIGHT = 2000;

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The report render test needs it: install it (apt-get install -y chromium) ` +
        'or point CHROMIUM_PATH at a Chromium/Chrome binary.',
    );
  }
}

interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function chromium(extra: readonly string[], url: string): Promise<RunOutput> {
  requireChromium();
  const profile = await mkdtemp(join(tmpdir(), 'chaos-chromium-profile-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    `--window-size=${WIDTH},${HEIGHT}`,
    ...extra,
    url,
  ];
  try {
    return await new Promise<RunOutput>((resolve, reject) => {
      // Own process group, so a hung browser and its helpers can be killed together and only them.
      const child = spawn(CHROMIUM, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        killGroup();
        reject(new Error(`chromium did not finish within 90s; stderr:\n${stderr.slice(-2000)}`));
      }, 90_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        killGroup();
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

describe('report.html in headless Chromium', () => {
  let htmlPath = '';

  beforeAll(async () => {
    await rm(OUT_DIR, { recursive: true, force: true });
    await mkdir(OUT_DIR, { recursive: true });
    const files = await writeReports(OUT_DIR, makeRunResult(), { formats: ['html'] });
    htmlPath = files[0] ?? '';
  });

  it('has chromium available', () => {
    requireChromium();
  });

  it('paints a non-blank page', async () => {
    const png = join(OUT_DIR, 'report.png');
    const run = await chromium([`--screenshot=${png}`], pathToFileURL(htmlPath).href);
    expect(
      existsSync(png),
      `no screenshot written; chromium exit ${run.code}, stderr:\n${run.stderr.slice(-2000)}`,
    ).toBe(true);
    console.log(`report screenshot: ${png}`);

    const buf = await readFile(png);
    expect(pngDimensions(buf)).toEqual({ width: WIDTH, height: HEIGHT });
    // A blank 1280x2000 page compresses to a few kilobytes.
    expect((await stat(png)).size).toBeGreaterThan(60_000);

    const { rgba, width, height } = decodePng(buf);
    const background = [rgba[0] ?? 0, rgba[1] ?? 0, rgba[2] ?? 0];
    let differing = 0;
    let red = 0;
    const colours = new Set<number>();
    for (let i = 0; i < width * height * 4; i += 4) {
      const r = rgba[i] ?? 0;
      const g = rgba[i + 1] ?? 0;
      const b = rgba[i + 2] ?? 0;
      if (
        Math.abs(r - (background[0] ?? 0)) +
          Math.abs(g - (background[1] ?? 0)) +
          Math.abs(b - (background[2] ?? 0)) >
        30
      ) {
        differing++;
      }
      // Saturated red: the FAIL badge, the fault-injection markers.
      if (r > 170 && g < 90 && b < 90) red++;
      colours.add((r << 16) | (g << 8) | b);
    }
    expect(differing / (width * height)).toBeGreaterThan(0.05);
    expect(colours.size).toBeGreaterThan(200);
    expect(red).toBeGreaterThan(200);
  });

  it('keeps every chart, marker and table in the DOM Chromium builds', async () => {
    const run = await chromium(['--dump-dom'], pathToFileURL(htmlPath).href);
    const dom = run.stdout;
    expect(dom, `empty --dump-dom output; stderr:\n${run.stderr.slice(-2000)}`).toContain('</html>');
    expect(dom.match(/<svg\b/g)).toHaveLength(3);
    for (const id of ['chart-latency', 'chart-throughput', 'chart-pods']) expect(dom).toContain(`id="${id}"`);
    // Two markers (inject, revert) on each of the three charts.
    expect(dom.match(/class="fault-marker marker-inject"/g)).toHaveLength(3);
    expect(dom.match(/class="fault-marker marker-revert"/g)).toHaveLength(3);
    expect(dom.match(/<path class="series"/g)?.length).toBeGreaterThanOrEqual(7);
    expect(dom).toContain('class="slo-table"');
    expect(dom).not.toMatch(/<script/i);
  });
});
