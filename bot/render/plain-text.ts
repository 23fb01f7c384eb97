import { truncateText, visibleText } from '../../formats/checks/check-text.js';

const ZERO_WIDTH_SPACE = '\u200b';

/**
 * Text for a pull-request title or a check-run title: GitHub renders neither as
 * full Markdown but links `#123` and `@user` in both, so those get a zero-width
 * space (as in the Markdown renderers); control characters are shown as escapes.
 */
export function titleText(text: string, max = 256): string {
  const inert = visibleText(text)
    .replace(/@/g, '@' + ZERO_WIDTH_SPACE)
    .replace(/#(?=\w)/g, '#' + ZERO_WIDTH_SPACE)
    .replace(/\b(GH)-(?=\d)/gi, '$1' + ZERO_WIDTH_SPACE + '-');
  return truncateText(inert, max);
}

/** Annotation messages are shown as plain text; they only need to be visible (line breaks kept) and short. */
export function annotationText(text: string, max: number): string {
  return truncateText(text.split('\n').map(visibleText).join('\n'), max);
}

/**
 * `text` cut to at most `limit` UTF-16 code units (what JavaScript's length
 * counts, never fewer than GitHub's characters), never inside a surrogate pair.
 */
export function withinLimit(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + '…';
}
