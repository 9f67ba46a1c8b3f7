import { describe, expect, it } from 'vitest';
import { wpError } from '../../src/briefings/sources/wordpress-posts.js';
import { httpUrl, utcTime } from '../../src/briefings/values.js';

describe('shared value helpers', () => {
  it('httpUrl keeps http(s) only, resolving against a base', () => {
    expect(httpUrl(' https://koreapro.org/a b ')).toBe('https://koreapro.org/a%20b');
    expect(httpUrl('/x', 'https://koreapro.org/feed/')).toBe('https://koreapro.org/x');
    expect(httpUrl('javascript:alert(1)')).toBeUndefined();
    expect(httpUrl('not a url')).toBeUndefined();
  });

  it('utcTime reads ISO-8601 and RFC 822, a zone-less time as UTC', () => {
    expect(utcTime('2023-08-31T23:00:37')).toBe('2023-08-31T23:00:37.000Z');
    expect(utcTime('2023-09-01T08:00:37+09:00')).toBe('2023-08-31T23:00:37.000Z');
    expect(utcTime('Thu, 31 Aug 2023 23:00:37 +0000')).toBe('2023-08-31T23:00:37.000Z');
    expect(utcTime('Thu, 31 Aug 2023 23:00:37')).toBe('2023-08-31T23:00:37.000Z');
    expect(utcTime('2023-08-31')).toBe('2023-08-31T00:00:00.000Z');
    expect(utcTime('yesterday')).toBeUndefined();
    expect(utcTime('')).toBeUndefined();
  });

  it('WordPress error messages become plain text through html-to-text, entities decoded', () => {
    expect(wpError({ code: 'rest_forbidden', message: 'Sorry, you <b>can&#8217;t</b>\n do that.' })).toEqual({
      code: 'rest_forbidden',
      message: 'Sorry, you can’t do that.',
    });
  });
});
