import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type Shot, takeScreenshots } from '../support/shots.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function luminance(rgb: string): number {
  const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
}

describe('screenshots of a 4-section digest (headless Chromium)', () => {
  it('saves 600 px and 375 px, light and dark, readable in both schemes', { timeout: 60_000 }, async () => {
    const shots = await takeScreenshots();
    expect(shots.map((s) => `${s.width}-${s.scheme}`)).toEqual(['600-light', '600-dark', '375-light', '375-dark']);
    for (const shot of shots) {
      const png = await readFile(shot.file);
      expect((await stat(shot.file)).size, shot.file).toBeGreaterThan(30_000);
      const size = pngSize(png);
      expect(size.width).toBe(shot.width);
      // Four sections of cards: a long page, not a blank or clipped one.
      expect(size.height).toBeGreaterThan(2000);
      expect(contrast(shot.colors.text, shot.colors.background), `${shot.file} text`).toBeGreaterThan(7);
      expect(contrast(shot.colors.headline, shot.colors.background), `${shot.file} headline`).toBeGreaterThan(7);
      expect(contrast(shot.colors.footer, shot.colors.page), `${shot.file} footer`).toBeGreaterThan(4.5);
      // The page around the cards follows the scheme too.
      if (shot.scheme === 'dark') expect(luminance(shot.colors.page), shot.file).toBeLessThan(0.05);
      else expect(luminance(shot.colors.page), shot.file).toBeGreaterThan(0.8);
    }
    const by = (width: number, scheme: Shot['scheme']) => shots.find((s) => s.width === width && s.scheme === scheme);
    // Dark mode really applies: dark background, light text.
    expect(luminance(by(600, 'dark')?.colors.background ?? '')).toBeLessThan(0.05);
    expect(luminance(by(600, 'light')?.colors.background ?? '')).toBeGreaterThan(0.9);
    expect(luminance(by(375, 'dark')?.colors.text ?? '')).toBeGreaterThan(0.6);
    // The narrow layout reflows instead of scaling: it is taller.
    const height = async (s: Shot | undefined) => pngSize(await readFile(s?.file ?? '')).height;
    expect(await height(by(375, 'light'))).toBeGreaterThan(await height(by(600, 'light')));
  });
});
