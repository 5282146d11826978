import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { glyph, glyphHeight, glyphWidth } from './font';

type Color = readonly [number, number, number];

const white: Color = [255, 255, 255];
const ink: Color = [34, 34, 34];
const grid: Color = [225, 225, 225];
const limitColor: Color = [200, 40, 40];
export const seriesColors: readonly Color[] = [
  [46, 110, 184],
  [240, 150, 40],
  [80, 160, 90],
  [150, 90, 170],
];

/** A tiny raster canvas over pngjs: rectangles, lines and bitmap text are all a bar chart needs. */
class Canvas {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    this.fill(0, 0, width, height, white);
  }

  pixel(x: number, y: number, color: Color): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const offset = (Math.floor(y) * this.width + Math.floor(x)) * 4;
    this.png.data[offset] = color[0];
    this.png.data[offset + 1] = color[1];
    this.png.data[offset + 2] = color[2];
    this.png.data[offset + 3] = 255;
  }

  fill(x: number, y: number, width: number, height: number, color: Color): void {
    for (let row = Math.round(y); row < Math.round(y + height); row += 1) {
      for (let column = Math.round(x); column < Math.round(x + width); column += 1) this.pixel(column, row, color);
    }
  }

  horizontal(x: number, y: number, length: number, color: Color, dash = 0): void {
    for (let step = 0; step < length; step += 1) {
      if (dash === 0 || Math.floor(step / dash) % 2 === 0) this.pixel(x + step, y, color);
    }
  }

  textWidth(text: string, scale: number): number {
    return text.length * (glyphWidth + 1) * scale;
  }

  text(x: number, y: number, text: string, scale: number, color: Color = ink): void {
    let cursor = x;
    for (const character of text) {
      const pixels = glyph(character);
      for (let row = 0; row < glyphHeight; row += 1) {
        for (let column = 0; column < glyphWidth; column += 1) {
          if (pixels[row]?.[column]) this.fill(cursor + column * scale, y + row * scale, scale, scale, color);
        }
      }
      cursor += (glyphWidth + 1) * scale;
    }
  }

  centredText(centre: number, y: number, text: string, scale: number, color: Color = ink): void {
    this.text(centre - this.textWidth(text, scale) / 2, y, text, scale, color);
  }
}

export interface BarGroup {
  label: string;
  /** One value per series; null draws nothing (not measured). */
  values: Array<number | null>;
}

export interface Panel {
  title: string;
  series: string[];
  groups: BarGroup[];
  /** Horizontal reference lines, e.g. a target. */
  limits?: Array<{ value: number; label: string }>;
}

export function compact(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(magnitude >= 1e7 ? 0 : 1)}M`;
  if (magnitude >= 1e4) return `${(value / 1e3).toFixed(0)}K`;
  if (magnitude >= 1e3) return `${(value / 1e3).toFixed(1)}K`;
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function drawPanel(canvas: Canvas, x: number, y: number, width: number, height: number, panel: Panel): void {
  canvas.text(x + 10, y + 8, panel.title, 2);
  let legendX = x + 10;
  panel.series.forEach((name, index) => {
    canvas.fill(legendX, y + 32, 12, 12, seriesColors[index % seriesColors.length] as Color);
    canvas.text(legendX + 18, y + 34, name, 1);
    legendX += 18 + canvas.textWidth(name, 1) + 20;
  });
  const plotLeft = x + 20;
  const plotTop = y + 70;
  const plotWidth = width - 40;
  const plotHeight = height - 120;
  const values = panel.groups.flatMap((group) => group.values.filter((value): value is number => value !== null));
  const highest = Math.max(1e-9, ...values, ...(panel.limits ?? []).map((limit) => limit.value));
  const scale = (plotHeight - 14) / (highest * 1.08);
  for (let line = 0; line <= 4; line += 1)
    canvas.horizontal(plotLeft, plotTop + (plotHeight * line) / 4, plotWidth, grid);
  canvas.horizontal(plotLeft, plotTop + plotHeight, plotWidth, ink);
  const groupWidth = plotWidth / Math.max(1, panel.groups.length);
  const barWidth = Math.min(56, (groupWidth * 0.8) / Math.max(1, panel.series.length));
  panel.groups.forEach((group, groupIndex) => {
    const groupLeft = plotLeft + groupIndex * groupWidth + (groupWidth - barWidth * panel.series.length) / 2;
    group.values.forEach((value, seriesIndex) => {
      if (value === null || !Number.isFinite(value)) return;
      const barHeight = Math.max(1, value * scale);
      const barX = groupLeft + seriesIndex * barWidth;
      const barY = plotTop + plotHeight - barHeight;
      canvas.fill(barX + 2, barY, barWidth - 4, barHeight, seriesColors[seriesIndex % seriesColors.length] as Color);
      canvas.centredText(barX + barWidth / 2, barY - 10, compact(value), 1);
    });
    canvas.centredText(plotLeft + groupIndex * groupWidth + groupWidth / 2, plotTop + plotHeight + 10, group.label, 2);
  });
  (panel.limits ?? []).forEach((limit, index) => {
    const limitY = Math.round(plotTop + plotHeight - limit.value * scale);
    canvas.horizontal(plotLeft, limitY, plotWidth, limitColor, 6);
    // Alternate sides so two nearby limits keep readable labels.
    const labelX = index % 2 === 0 ? plotLeft + plotWidth - canvas.textWidth(limit.label, 1) - 2 : plotLeft + 2;
    canvas.text(labelX, limitY - 10, limit.label, 1, limitColor);
  });
}

/** Panels on a grid, `columns` wide, with a heading and a footnote. */
export async function drawChart(
  path: string,
  heading: string,
  footnote: string,
  panels: Panel[],
  columns = 3,
): Promise<void> {
  const panelWidth = 620;
  const panelHeight = 400;
  const rowsNeeded = Math.ceil(panels.length / columns);
  const canvas = new Canvas(panelWidth * columns + 40, panelHeight * rowsNeeded + 110);
  canvas.text(20, 16, heading, 3);
  panels.forEach((panel, index) => {
    const column = index % columns;
    const row = Math.floor(index / columns);
    drawPanel(canvas, 20 + column * panelWidth, 60 + row * panelHeight, panelWidth - 20, panelHeight - 10, panel);
  });
  canvas.text(20, canvas.height - 30, footnote, 2);
  await writeFile(path, PNG.sync.write(canvas.png));
}
