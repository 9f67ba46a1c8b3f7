import { describe, expect, it } from 'vitest';
import { judgeLink } from '../../src/briefings/links.js';

describe('which link a briefing may carry', () => {
  const https = { url: 'https://news.example.com', linkHosts: ['cdn.example.net', '*.example.org'] };
  it.each([
    ['https://news.example.com/2026/12/a/', { url: 'https://news.example.com/2026/12/a/' }],
    ['http://news.example.com/a', { url: 'https://news.example.com/a' }],
    ['https://NEWS.example.com/a', { url: 'https://news.example.com/a' }],
    ['https://cdn.example.net/x', { url: 'https://cdn.example.net/x' }],
    ['https://a.b.example.org/x', { url: 'https://a.b.example.org/x' }],
    [
      'https://example.org/x',
      { refused: 'link points to example.org, not to news.example.com or a host in linkHosts' },
    ],
    [
      'https://evil.example/x',
      { refused: 'link points to evil.example, not to news.example.com or a host in linkHosts' },
    ],
    [
      'https://news.example.com.evil.example/x',
      { refused: expect.stringMatching(/^link points to news\.example\.com\.evil/) },
    ],
    ['javascript:alert(1)', { refused: 'link is javascript: (not http(s))' }],
    ['ftp://news.example.com/x', { refused: 'link is ftp: (not http(s))' }],
    ['not a url', { refused: 'link is not a URL' }],
  ])('%s', (link, verdict) => {
    expect(judgeLink(link, https)).toEqual(verdict);
  });

  it('keeps plain http when the source itself is plain http', () => {
    expect(judgeLink('http://site.test/a', { url: 'http://site.test', linkHosts: [] })).toEqual({
      url: 'http://site.test/a',
    });
  });
});
