// WCAG 2 contrast of the text a page renders, computed in the browser from getComputedStyle:
// each element with its own visible text, its colour (with the opacity of it and its ancestors)
// over the background it sits on (the ancestors' background colours composited, ending on the
// page's). Text under a background image (the header's gradient) is measured against the
// gradient's first colour stop. Large text (24 px, or 18.67 px bold) needs 3:1, the rest 4.5:1.
import type { Page } from 'playwright-core';

export interface ContrastProblem {
  readonly text: string;
  readonly where: string;
  readonly ratio: number;
  readonly needed: number;
  readonly fg: string;
  readonly bg: string;
}

export async function contrastProblems(page: Page): Promise<{ checked: number; problems: ContrastProblem[] }> {
  const result: unknown = await page.evaluate(SCRIPT);
  return result as { checked: number; problems: ContrastProblem[] };
}

// Plain JavaScript, evaluated in the page (as a string: the test files are not typed for the DOM).
const SCRIPT = String.raw`(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return undefined;
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p[3] ?? 1];
    };
    const over = (top, bottom) => {
      const a = top[3] + bottom[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat(a);
    };
    const lum = ([r, g, b]) => {
      const f = (v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const backgroundOf = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        const image = cs.backgroundImage;
        if (image && image !== 'none') {
          const stop = parse(image.match(/rgba?\([^)]+\)/)?.[0] ?? '');
          if (stop) {
            layers.push(stop);
            break;
          }
        }
        const c = parse(cs.backgroundColor);
        if (c && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let bg = parse(getComputedStyle(document.documentElement).backgroundColor) ?? [255, 255, 255, 1];
      if (bg[3] < 1) bg = over(bg, [255, 255, 255, 1]);
      for (const layer of layers.reverse()) bg = over(layer, bg);
      return bg;
    };
    const hidden = (el) => {
      for (let e = el; e; e = e.parentElement) {
        if (e.classList.contains('sr-only') || e.classList.contains('offscreen')) return true;
        if (e.inert || e.getAttribute('aria-hidden') === 'true') return true;
      }
      return !el.checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true });
    };
    const problems = [];
    let checked = 0;
    for (const el of document.querySelectorAll('body *')) {
      if (['SCRIPT', 'STYLE', 'svg', 'OPTION', 'NOSCRIPT'].includes(el.tagName)) continue;
      const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('').trim();
      if (!own || hidden(el)) continue;
      // Disabled controls are exempt in WCAG 1.4.3.
      if (el.closest(':disabled, [aria-disabled="true"]')) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      const cs = getComputedStyle(el);
      let fg = parse(cs.color);
      if (!fg) continue;
      let opacity = 1;
      for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      fg = [fg[0], fg[1], fg[2], fg[3] * opacity];
      const bg = backgroundOf(el);
      const shown = over(fg, bg);
      const [l1, l2] = [lum(shown), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(cs.fontSize);
      const bold = Number(cs.fontWeight) >= 700;
      const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      checked++;
      if (ratio + 0.005 < needed) {
        const path = [];
        for (let e = el; e && path.length < 3; e = e.parentElement) path.unshift(e.tagName.toLowerCase() + (e.classList.length ? '.' + [...e.classList].join('.') : ''));
        const rgb = (c) => 'rgb(' + c.slice(0, 3).map(Math.round).join(',') + ')';
        problems.push({ text: own.slice(0, 40), where: path.join(' > '), ratio: Math.round(ratio * 100) / 100, needed, fg: rgb(shown), bg: rgb(bg) });
      }
    }
    return { checked, problems };
})()`;
