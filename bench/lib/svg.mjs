// The cost-curve plot as hand-written SVG (no dependencies): one small panel per measure, services
// on a log x axis, values on a linear y axis from 0.

const PANEL_WIDTH = 260;
const PANEL_HEIGHT = 200;
const MARGIN = { left: 52, right: 12, top: 28, bottom: 36 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

const escape = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;");

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** One panel at (x0, 0): `series` = [{ label, points: [[services, value]] }]. */
function panel(x0, title, unit, series) {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const maxY = niceMax(Math.max(...ys, 0));
  const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x) =>
    x0 +
    MARGIN.left +
    (maxX === minX
      ? width / 2
      : ((Math.log10(x) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX))) * width);
  const sy = (y) => MARGIN.top + height - (y / maxY) * height;
  const parts = [
    `<text x="${x0 + PANEL_WIDTH / 2}" y="16" text-anchor="middle" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${x0 + MARGIN.left}" y1="${MARGIN.top + height}" x2="${x0 + MARGIN.left + width}" y2="${MARGIN.top + height}" stroke="#333"/>`,
    `<line x1="${x0 + MARGIN.left}" y1="${MARGIN.top}" x2="${x0 + MARGIN.left}" y2="${MARGIN.top + height}" stroke="#333"/>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const y = sy(maxY * fraction);
    parts.push(
      `<text x="${x0 + MARGIN.left - 4}" y="${y + 4}" text-anchor="end">${escape(+(maxY * fraction).toPrecision(3))}</text>`,
    );
    if (fraction > 0)
      parts.push(
        `<line x1="${x0 + MARGIN.left}" y1="${y}" x2="${x0 + MARGIN.left + width}" y2="${y}" stroke="#ddd"/>`,
      );
  }
  for (const x of [...new Set(xs)]) {
    parts.push(
      `<text x="${sx(x)}" y="${MARGIN.top + height + 14}" text-anchor="middle">${escape(x >= 1000 ? `${x / 1000}k` : x)}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + MARGIN.left + width / 2}" y="${PANEL_HEIGHT - 4}" text-anchor="middle">services (${escape(unit)})</text>`,
  );
  series.forEach((s, i) => {
    const points = s.points.filter(([, y]) => Number.isFinite(y));
    const color = COLORS[i % COLORS.length];
    if (points.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(" ")}"/>`,
      );
    for (const [x, y] of points)
      parts.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${color}"/>`);
    parts.push(
      `<text x="${x0 + MARGIN.left + 6}" y="${MARGIN.top + 12 + i * 13}" fill="${color}">${escape(s.label)}</text>`,
    );
  });
  return parts.join("\n");
}

export function writeCostCurveSvg(rows) {
  const at = (get) => rows.map((row) => [row.services, get(row) ?? NaN]);
  const panels = [
    [
      "Memory",
      "RSS MiB",
      [
        { label: "ours (file)", points: at((r) => r.file?.rssMiB) },
        { label: "ours (kube)", points: at((r) => r.kube?.rssMiB) },
        { label: "CoreDNS formula", points: at((r) => r.coreDnsFormulaMiB) },
      ],
    ],
    ["Throughput", "QPS", [{ label: "ours, 1 core", points: at((r) => r.file?.qps) }]],
    [
      "Snapshot build",
      "ms",
      [
        { label: "full", points: at((r) => r.build.fullMs) },
        { label: "one change", points: at((r) => r.build.oneChangeP50Ms) },
      ],
    ],
    [
      "Update visible",
      "ms",
      [
        { label: "kube p99", points: at((r) => r.kube?.update.p99Ms) },
        { label: "kube p50", points: at((r) => r.kube?.update.p50Ms) },
        { label: "file p99", points: at((r) => r.file?.update.p99Ms) },
      ],
    ],
  ];
  const width = PANEL_WIDTH * panels.length;
  const body = panels
    .map(([title, unit, series], i) => panel(i * PANEL_WIDTH, title, unit, series))
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_HEIGHT}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
