// RSS (and heap used) over time as a small standalone SVG, no dependencies.

import type { Sample } from "./soak.js";

const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 32, bottom: 40 };

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function memoryPlot(samples: readonly Sample[], title: string): string {
  const maxX = Math.max(1, ...samples.map((s) => s.seconds));
  const maxY = niceMax(Math.max(1, ...samples.map((s) => s.rssMiB)));
  const width = WIDTH - MARGIN.left - MARGIN.right;
  const height = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / maxX) * width;
  const sy = (y: number) => MARGIN.top + height - (y / maxY) * height;
  const line = (pick: (s: Sample) => number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${samples
      .map((s) => `${sx(s.seconds).toFixed(1)},${sy(pick(s)).toFixed(1)}`)
      .join(" ")}"/>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="13">${escape(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${sy(0)}" x2="${MARGIN.left + width}" y2="${sy(0)}" stroke="#444"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${sy(0)}" stroke="#444"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (maxY * i) / 4;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${sy(y)}" x2="${MARGIN.left + width}" y2="${sy(y)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`,
    );
    const x = (maxX * i) / 4;
    parts.push(`<text x="${sx(x)}" y="${sy(0) + 16}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  parts.push(
    `<text x="${MARGIN.left + width / 2}" y="${HEIGHT - 6}" text-anchor="middle">seconds</text>`,
    `<text x="14" y="${MARGIN.top + height / 2}" transform="rotate(-90 14 ${MARGIN.top + height / 2})" text-anchor="middle">MiB</text>`,
    line((s) => s.rssMiB, "#1f77b4"),
    line((s) => s.heapUsedMiB, "#2ca02c"),
    `<text x="${MARGIN.left + width - 150}" y="${MARGIN.top + 12}" fill="#1f77b4">RSS</text>`,
    `<text x="${MARGIN.left + width - 100}" y="${MARGIN.top + 12}" fill="#2ca02c">heap used</text>`,
    `</svg>`,
  );
  return parts.join("\n") + "\n";
}
