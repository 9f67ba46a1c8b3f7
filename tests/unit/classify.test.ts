import { describe, expect, it } from 'vitest';
import { briefingId } from '../../src/briefings/briefing.js';
import { createClassifier, keywordMatcher } from '../../src/topics/classify.js';

const topics = [
  { slug: 'china', name: 'China', terms: ['China'], keywords: ['China', 'Beijing'] },
  { slug: 'trade', name: 'Trade', terms: ['economy'], keywords: ['export', 'supply chain'] },
  { slug: 'north-korea', name: 'North Korea', terms: ['North Korea'], keywords: ['Pyongyang'] },
  { slug: 'general', name: 'Other', terms: [], keywords: [] },
];
const classify = createClassifier(topics, 'general');

describe('keyword matching', () => {
  it('matches whole words, case-insensitively, with punctuation around', () => {
    const m = keywordMatcher(['China']);
    expect(m('talks with china today')).toBe(true);
    expect(m('China’s ambassador')).toBe(true);
    expect(m('(CHINA)')).toBe(true);
    expect(m('Chinatown reopens')).toBe(false);
    expect(m('Indochina')).toBe(false);
  });

  it('treats keywords as text, not as regular expressions, and spans line breaks in phrases', () => {
    expect(keywordMatcher(['a.b'])('axb')).toBe(false);
    expect(keywordMatcher(['supply chain'])('the supply\nchain held')).toBe(true);
  });
});

describe('classify', () => {
  it('assigns every topic whose terms or keywords match, in configuration order', () => {
    expect(classify({ terms: [], title: 'Beijing eases export rules', lead: '' })).toEqual(['china', 'trade']);
  });

  it('maps WordPress categories and tags to topics whatever their case or spacing', () => {
    expect(classify({ terms: ['north korea'], title: 'A quiet week', lead: '' })).toEqual(['north-korea']);
    expect(classify({ terms: ['North_Korea'], title: 'A quiet week', lead: '' })).toEqual(['north-korea']);
    expect(classify({ terms: ['ECONOMY'], title: 'x', lead: '' })).toEqual(['trade']);
  });

  it('looks at the lead as well as the title', () => {
    expect(classify({ terms: [], title: 'Talks resume', lead: 'Officials in Pyongyang said…' })).toEqual([
      'north-korea',
    ]);
  });

  it('puts a briefing that matches nothing in the fallback topic', () => {
    expect(classify({ terms: ['sports'], title: 'Baseball season opens', lead: 'Fans return.' })).toEqual(['general']);
  });
});

describe('briefing ids', () => {
  it('keep a safe publisher id readable and hash the others, so that they never collide', () => {
    expect(briefingId('wp', '2202126')).toBe('wp-2202126');
    const a = briefingId('rss', 'https://ex.kr/뉴스/북한');
    const b = briefingId('rss', 'https://ex.kr/뉴스/경제');
    expect(a).not.toBe(b);
    expect(briefingId('rss', 'https://ex.kr/a?b')).not.toBe(briefingId('rss', 'https://ex.kr/a_b'));
    for (const id of [a, b]) expect(id).toMatch(/^rss-h[A-Za-z0-9_.]+$/);
  });
});
