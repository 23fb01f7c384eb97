import { expect } from 'vitest';

/**
 * What "escaped" means for every text the bot posts: besides its own leading
 * marker, no HTML (but the `<details>`/`<summary>` it writes itself) and no
 * autolink, as GitHub's CommonMark would read them, no hidden
 * `<!-- -->` comment, no `@` that could ping and no `#123` that could link.
 * Code spans are exempt: GitHub shows their content as it is, rendering, linking
 * and pinging nothing (the check renderer shows failing values exactly that way).
 */
export function expectInert(markdown: string): void {
  const unmarked = /^<!-- dgit:[a-z0-9:-]+ -->\n/.test(markdown) ? markdown.slice(markdown.indexOf('\n') + 1) : markdown;
  const text = unmarked.replace(/(`+)[\s\S]*?\1/g, '');
  expect(text).not.toContain('<!--');
  expect(text).not.toMatch(/<script/i);
  // Raw HTML as CommonMark reads it (an open or closing tag, a declaration), and autolinks.
  const tags = [...text.matchAll(/<\/?[A-Za-z][A-Za-z0-9-]*(\s+[A-Za-z_:][\w.:-]*(\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>|<[!?]/g)].map((m) => m[0]);
  expect(tags.filter((tag) => !/^<\/?(details|summary)>$/.test(tag))).toEqual([]);
  expect(text).not.toMatch(/<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>/);
  expect(text).not.toMatch(/@(?!&#8203;|\u200b)/);
  expect(text).not.toMatch(/(?<!&)#(?!&#8203;|\u200b)\w/);
}
